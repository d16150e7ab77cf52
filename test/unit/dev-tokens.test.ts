import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDevTokens } from '../../server/launch/dev-tokens.js';

describe('withDevTokens', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'khabar-tokens-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('fills unset token variables from the file, creating it once, and keeps them', () => {
    const file = join(dir, '.data/dev-tokens.env');
    const first = withDevTokens({ NEWSROOM_TOKENS: '' }, file);
    assert.deepEqual(first.filled, ['INGEST_TOKENS', 'NEWSROOM_TOKENS']);
    assert.match(first.env.INGEST_TOKENS ?? '', /^[A-Za-z0-9_-]{32}$/);
    const again = withDevTokens({}, file);
    assert.equal(again.env.INGEST_TOKENS, first.env.INGEST_TOKENS);
    assert.equal(again.env.NEWSROOM_TOKENS, first.env.NEWSROOM_TOKENS);
    assert.match(readFileSync(file, 'utf8'), /^INGEST_TOKENS=\S+$/m);
  });

  it('leaves a set variable alone, and production entirely', () => {
    const file = join(dir, 'dev-tokens.env');
    const own = withDevTokens({ INGEST_TOKENS: 'mine-0123456789abcdef' }, file);
    assert.equal(own.env.INGEST_TOKENS, 'mine-0123456789abcdef');
    assert.deepEqual(own.filled, ['NEWSROOM_TOKENS']);
    const production = withDevTokens({ NODE_ENV: 'production' }, join(dir, 'other.env'));
    assert.deepEqual(production, { env: { NODE_ENV: 'production' }, filled: [] });
  });

  it('completes a file that lost a line, keeping the token it still has', () => {
    const file = join(dir, 'dev-tokens.env');
    writeFileSync(file, '# edited by hand\nINGEST_TOKENS=kept-0123456789abcdef\n');
    const { env } = withDevTokens({}, file);
    assert.equal(env.INGEST_TOKENS, 'kept-0123456789abcdef');
    assert.ok(env.NEWSROOM_TOKENS);
    assert.match(readFileSync(file, 'utf8'), /^NEWSROOM_TOKENS=/m);
  });
});
