import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually, startKhabar, type TestKhabar } from '../helpers/khabar.js';

/** examples/ at the repository root, from dist/test/integration/. */
const WATCH = fileURLToPath(new URL('../../../examples/watch.mjs', import.meta.url));

describe('the README examples', function () {
  let khabar: TestKhabar;
  let watcher: ChildProcess | undefined;
  before(async () => {
    khabar = await startKhabar();
  });
  after(async () => {
    watcher?.kill();
    await khabar.close();
  });

  it('examples/watch.mjs prints the snapshot, then a post published through the API, live', async () => {
    const lines: string[] = [];
    watcher = spawn(process.execPath, [WATCH, 'bihar', 'hi'], {
      env: { PATH: process.env.PATH ?? '', KHABAR_URL: khabar.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    watcher.stdout?.on('data', (chunk: Buffer) =>
      lines.push(...chunk.toString('utf8').split('\n')),
    );
    watcher.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    await eventually(() => lines.find((l) => l.startsWith('watching bihar')), 10_000).catch(
      (err: unknown) => {
        throw new Error(`${String(err)}; stderr: ${stderr}`);
      },
    );

    const title = 'पटना में गंगा घाटों की सफ़ाई का नया अभियान शुरू';
    const posted = await khabar.postArticles({
      url: 'https://example.com/hindi/bihar/ganga-ghat',
      title,
      channel: 'bihar',
      lang: 'hi',
    });
    assert.equal(posted.status, 202, JSON.stringify(posted.body));
    const line = await eventually(() => lines.find((l) => l.startsWith('new ')));
    assert.equal(line, `new ${title} · अब`);
    assert.equal(stderr, '');
  });
});
