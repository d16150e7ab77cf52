import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../server/launch/redis-process.js';
import { builtProgram } from '../helpers/processes.js';
import { sharedRedis } from '../helpers/redis.js';
import { eventually, uniquePrefix } from '../helpers/khabar.js';

interface Launch {
  stdout: string;
  stderr: string;
  code: number | string | null;
}

/**
 * `npm start`'s launcher (dist/server/launch/start.js) in a folder of its own, so its `.data/` is the
 * test's. Stops it with SIGINT, as Ctrl-C would, once `until` holds; by default waits for it to exit.
 */
async function launch(
  cwd: string,
  env: Record<string, string>,
  args: string[] = [],
  until: (run: Launch) => boolean = () => false,
): Promise<Launch> {
  const child = spawn(process.execPath, [builtProgram('server/launch/start.js'), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Launch = { stdout: '', stderr: '', code: null };
  child.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      run.code = code ?? signal;
      resolve();
    }),
  );
  await Promise.race([exited, eventually(() => (until(run) ? true : undefined), 15_000)]);
  if (run.code === null) child.kill('SIGINT');
  await exited;
  return run;
}

const tokenIn = (block: string, label: string): string | undefined =>
  new RegExp(`${label} token\\s+(\\S+)`).exec(block)?.[1];

describe('npm start (the launcher)', function () {
  this.timeout(40_000);
  let cwd: string;
  let env: Record<string, string>;
  beforeEach(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'khabar-start-'));
    env = {
      REDIS_URL: sharedRedis().url,
      PORT: String(await freePort()),
      KEY_PREFIX: uniquePrefix(),
    };
  });
  afterEach(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  it('keeps its development tokens across restarts and prints them with the URLs once listening', async () => {
    const listening = (run: Launch): boolean => run.stderr.includes('╰');
    const first = await launch(cwd, env, [], listening);
    const second = await launch(cwd, env, [], listening);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /Khabar is running/);
    assert.match(
      first.stderr,
      new RegExp(`dashboard\\s+http://127\\.0\\.0\\.1:${env.PORT}/dashboard`),
    );
    const ingest = tokenIn(first.stderr, 'ingest');
    const newsroom = tokenIn(first.stderr, 'newsroom');
    assert.ok(ingest && newsroom && ingest !== newsroom, first.stderr);
    assert.equal(tokenIn(second.stderr, 'ingest'), ingest);
    assert.equal(tokenIn(second.stderr, 'newsroom'), newsroom);
    assert.equal(statSync(join(cwd, '.data/dev-tokens.env')).mode & 0o777, 0o600);
    // The block comes after the server's "listening" line, which the launcher passed on.
    assert.match(first.stdout, /"event":"server\.listening"/);
  });

  it('shows the tokens of INGEST_TOKENS / NEWSROOM_TOKENS by name, never their values', async () => {
    const secret = 'a-token-of-my-own-0123456789';
    const run = await launch(cwd, { ...env, INGEST_TOKENS: secret }, [], (r) =>
      r.stderr.includes('╰'),
    );
    assert.match(run.stderr, /ingest token\s+from INGEST_TOKENS/);
    assert.ok(!run.stderr.includes(secret) && !run.stdout.includes(secret));
  });

  it('prints its usage for --help and starts nothing', async () => {
    const run = await launch(cwd, env, ['--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: npm start/);
    assert.match(run.stdout, /--demo/);
  });

  it('says the port is in use, in one line, before starting anything or printing a token', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(Number(env.PORT), '127.0.0.1', resolve));
    try {
      const run = await launch(cwd, env);
      assert.equal(run.code, 1);
      assert.equal(
        run.stderr,
        `khabar: cannot listen on 127.0.0.1:${env.PORT}: port ${env.PORT} is in use; start with another port, e.g. PORT=${Number(env.PORT) + 100} npm start\n`,
      );
      assert.equal(run.stdout, '');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
