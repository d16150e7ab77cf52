import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { ErrorAnswer } from '../../shared/contract/http.js';
import { createLogger } from '../../shared/infra/logger.js';
import { createRedisHealth } from '../../shared/infra/redis-health.js';
import type { RedisProcess } from '../../server/launch/redis-process.js';
import {
  acceptedOf,
  getJson,
  postArticles,
  startCluster,
  type Cluster,
} from '../helpers/cluster.js';
import { captureLogs, eventually, nextEvent, subscribe, type LogLine } from '../helpers/khabar.js';
import type { KhabarProcess } from '../helpers/processes.js';
import { startTestRedis } from '../helpers/redis.js';

/** How long Redis stays away: long enough for every connection and worker to retry a few times. */
const OUTAGE_MS = 4000;

const article = (n: number): Record<string, unknown> => ({
  url: `https://example.com/outage/${n}`,
  title: `Outage story ${n}`,
  channel: 'top',
});

function linesOf(run: KhabarProcess, event: string): Record<string, unknown>[] {
  return run.logs.filter((l) => l.event === event);
}

/** Every line at warn or above, as `event (level): message`, for assertion messages. */
function loudLines(run: KhabarProcess): string[] {
  return run.logs
    .filter((l) => Number(l.level) >= 40)
    .map((l) => {
      const err = l.err as { message?: unknown } | undefined;
      return `${String(l.event)} (${String(l.level)}): ${String(err?.message ?? l.msg)}`;
    });
}

describe('a Redis outage in the logs', function () {
  this.timeout(60_000);

  let redis: RedisProcess | undefined;
  let dir: string | undefined;
  let cluster: Cluster | undefined;

  afterEach(async () => {
    await cluster?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    cluster = undefined;
    redis = undefined;
    dir = undefined;
  });

  it('is one redis.unavailable and one redis.reconnected per process, no error lines, and Khabar works after', async () => {
    dir = mkdtempSync(join(tmpdir(), 'khabar-outage-'));
    redis = await startTestRedis({ appendOnly: true, dir });
    const port = redis.port;
    cluster = startCluster({ redisUrl: redis.url });
    const server = await cluster.startServer();
    const workers = await cluster.startWorker();
    const watcher = await cluster.connect(server.url);
    assert.equal((await subscribe(watcher, { channel: 'top' })).ok, true);
    acceptedOf(await postArticles(server.url, article(0)));
    await nextEvent(watcher, 'post:new');

    await redis.stop();
    const outageEnds = Date.now() + OUTAGE_MS;
    // Requests and subscribes while Redis is away: each is refused, none is a log line of its own.
    for (const run of [server, workers]) await run.waitForLog('redis.unavailable');
    const late = await cluster.connect(server.url);
    while (Date.now() < outageEnds) {
      const posted = await postArticles(server.url, article(1));
      assert.equal(posted.status, 503, JSON.stringify(posted.body));
      assert.equal((posted.body as ErrorAnswer).error, 'redis_unavailable');
      assert.equal((await getJson(server.url, '/api/posts?channel=top')).status, 503);
      // A channel this node has not cached: 'top' would be answered from memory.
      assert.equal((await subscribe(late, { channel: 'sport' })).ok, false);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    redis = await startTestRedis({ appendOnly: true, port, dir });

    const [serverBack, workersBack] = await Promise.all([
      server.waitForLog('redis.reconnected', 20_000),
      workers.waitForLog('redis.reconnected', 20_000),
    ]);
    const delivered = nextEvent(
      watcher,
      'post:new',
      (e) => e.post.url.includes('/outage/2'),
      20_000,
    );
    await eventually(
      async () => ((await postArticles(server.url, article(2))).status === 202 ? true : undefined),
      15_000,
    );
    await delivered;

    for (const [run, back, connections] of [
      [server, serverBack, ['khabar:server:command', 'khabar:server:tail', 'khabar:server:queue']],
      [workers, workersBack, ['khabar:workers:data', 'khabar:workers:queue']],
    ] as const) {
      const role = String(back.role);
      const outageLines = linesOf(run, 'redis.unavailable');
      assert.equal(outageLines.length, 1, `${role}: ${loudLines(run).join('\n')}`);
      assert.equal(linesOf(run, 'redis.reconnected').length, 1, role);
      const [lost] = outageLines;
      assert.ok(lost);
      assert.equal(lost.level, 40, role);
      assert.ok(
        Array.isArray(lost.connections) && lost.connections.length > 0,
        `${role}: ${JSON.stringify(lost)}`,
      );
      assert.equal(back.level, 30, role);
      assert.ok(Number(back.failedAttempts) > 0, `${role}: ${JSON.stringify(back)}`);
      assert.ok(Number(back.durationMs) > 0, `${role}: ${JSON.stringify(back)}`);
      assert.deepEqual([...(back.connections as string[])].sort(), [...connections].sort(), role);
      assert.deepEqual(
        run.logs.filter((l) => Number(l.level) >= 50),
        [],
        `${role} logged errors for the outage`,
      );
      for (const event of ['worker.error', 'queue.error', 'http.error', 'socket.subscribe_failed'])
        assert.equal(linesOf(run, event).length, 0, `${role}: ${event}`);
      // Warnings from the outage on: the outage once, and the fan-out's interruption if it saw one.
      const warned = new Set(
        run.logs
          .slice(run.logs.indexOf(lost))
          .filter((l) => l.level === 40)
          .map((l) => String(l.event)),
      );
      warned.delete('fanout.interrupted');
      assert.deepEqual([...warned], ['redis.unavailable'], loudLines(run).join('\n'));
    }
    assert.ok(
      Number((serverBack.failures as Record<string, number> | undefined)?.http) > 0,
      'the refused requests should be counted',
    );
  });

  it('names in its redis.unavailable line the connections that went down, whichever failure came first', async () => {
    redis = await startTestRedis();
    const lines: LogLine[] = [];
    const logger = createLogger({ level: 'info', role: 'test', destination: captureLogs(lines) });
    const health = createRedisHealth({ logger, announceAfterMs: 500 });
    const data = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      await data.ping();
      health.watch(data, 'khabar:test:data');
      // What happened in CI: a connection this component does not follow (a BullMQ worker's
      // own) spoke first, while the followed ones were still 'ready'.
      const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      health.absorb('worker:ingest', reset);
      await redis.stop();
      redis = undefined;
      const unavailable = await eventually(() =>
        lines.find((l) => l.event === 'redis.unavailable'),
      );
      assert.equal(unavailable.source, 'worker:ingest');
      assert.deepEqual(unavailable.connections, ['khabar:test:data']);
      assert.equal(lines.length, 1, JSON.stringify(lines));
    } finally {
      health.close();
      data.disconnect();
    }
  });
});
