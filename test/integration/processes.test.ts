import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { io as connectClient } from 'socket.io-client';
import { subscribe, TEST_TOKEN, uniquePrefix, type FeedSocket } from '../helpers/khabar.js';
import { startProcess } from '../helpers/processes.js';
import { sharedRedis } from '../helpers/redis.js';

describe('server and worker processes', function () {
  this.timeout(30_000);

  for (const program of ['server/main.js', 'workers/main.js']) {
    it(`${program} stops at start-up with one line per bad variable, naming it and a good example`, async () => {
      const run = startProcess(program, {
        PORT: 'abc',
        RECENT_LIMIT: '0',
        REDIS_URL: 'http://nope',
        INGEST_TOKENS: 'q7x',
      });
      assert.equal(await run.exited, 1);
      const lines = run.stderr().trim().split('\n');
      for (const variable of ['PORT', 'RECENT_LIMIT', 'REDIS_URL', 'INGEST_TOKENS']) {
        const line = lines.find((l) => l.includes(`${variable}:`));
        assert.ok(line, `no line names ${variable}: ${run.stderr()}`);
        assert.match(line, new RegExp(`${variable}=`), line);
      }
      assert.ok(!run.stderr().includes('q7x'), 'a secret leaked into the error output');
    });
  }

  it('server: SIGTERM tells clients to reconnect and exits 0 within 10 s', async () => {
    const server = startProcess('server/main.js', {
      REDIS_URL: sharedRedis().url,
      KEY_PREFIX: uniquePrefix(),
      INGEST_TOKENS: TEST_TOKEN,
      PORT: '0',
    });
    const listening = await server.waitForLog('server.listening');
    const socket: FeedSocket = connectClient(`http://127.0.0.1:${String(listening.port)}`, {
      transports: ['websocket'],
      reconnection: false,
    });
    const answer = await subscribe(socket, { channel: 'top' });
    assert.equal(answer.ok, true);
    const reason = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const started = Date.now();
    server.child.kill('SIGTERM');
    // "transport close" (not "io server disconnect") is what makes socket.io-client reconnect.
    assert.equal(await reason, 'transport close');
    assert.equal(await server.exited, 0);
    assert.ok(Date.now() - started < 10_000);
    assert.ok(server.logs.some((l) => l.event === 'process.stopped'));
  });

  it('server: in production without tokens, says once at start-up which APIs are off and how to turn them on', async () => {
    const server = startProcess('server/main.js', {
      NODE_ENV: 'production',
      REDIS_URL: sharedRedis().url,
      KEY_PREFIX: uniquePrefix(),
      PORT: '0',
    });
    try {
      await server.waitForLog('server.listening');
      const off = server.logs.filter((l) => l.level === 40 && /_off$/.test(String(l.event)));
      assert.deepEqual(
        off.map((l) => [l.event, l.variable]),
        [
          ['config.write_api_off', 'INGEST_TOKENS'],
          ['config.newsroom_off', 'NEWSROOM_TOKENS'],
        ],
      );
      for (const line of off) assert.match(String(line.msg), /set (INGEST|NEWSROOM)_TOKENS=/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('workers: run below the servers’ CPU priority; SIGTERM exits 0 within 10 s', async () => {
    const workers = startProcess('workers/main.js', {
      REDIS_URL: sharedRedis().url,
      KEY_PREFIX: uniquePrefix(),
    });
    try {
      const started = await workers.waitForLog('workers.started');
      // Nice 10, or nicer if started so (the test runner's own niceness is inherited).
      assert.ok(Number(started.niceness) >= 10, JSON.stringify(started));
      assert.equal(getPriority(workers.child.pid), started.niceness);
      // Every thread, not only the main one: V8's garbage collector runs on threads of its own,
      // started before the worker lowers its priority, and at nice 0 they took the shared core
      // from the server during the worker's collections.
      const threads = readdirSync(`/proc/${workers.child.pid}/task`).map(Number);
      assert.ok(threads.length > 1, `threads: ${threads.join(', ')}`);
      for (const thread of threads)
        assert.equal(getPriority(thread), started.niceness, `thread ${thread}`);
    } catch (err) {
      workers.child.kill('SIGKILL');
      throw err;
    }
    const stopping = Date.now();
    workers.child.kill('SIGTERM');
    assert.equal(await workers.exited, 0);
    assert.ok(Date.now() - stopping < 10_000);
  });
});
