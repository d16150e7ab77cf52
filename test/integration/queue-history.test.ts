import assert from 'node:assert/strict';
import { io as connectClient, type Socket } from 'socket.io-client';
import { createIngestQueue } from '../../shared/domain/ingest-queue.js';
import { createLogger } from '../../shared/infra/logger.js';
import type { QueueHistoryAnswer } from '../../shared/contract/http.js';
import type {
  NewsroomClientEvents,
  NewsroomServerEvents,
  QueueStats,
} from '../../shared/contract/protocol.js';
import {
  QUEUE_HISTORY_SLOT_MS,
  readQueueHistory,
  recordQueueStats,
} from '../../shared/domain/queue-history.js';
import { createRedisHealth } from '../../shared/infra/redis-health.js';
import { logQueueStats } from '../../workers/monitor/queue-stats.js';
import { eventually, startKhabar, TEST_TOKEN, type TestKhabar } from '../helpers/khabar.js';

const NEWSROOM_TOKEN = 'newsroom-token-0123456789abcdef';
const MINUTE = 60_000;

function figures(queue: string, waiting: number): QueueStats {
  return {
    queue,
    waiting,
    active: 1,
    delayed: 2,
    failed: 3,
    completedPerMinute: 4,
    oldestWaitingMs: 5000,
  };
}

describe('queue history for the dashboards’ charts', function () {
  this.timeout(20_000);
  let khabar: TestKhabar;
  beforeEach(async () => {
    khabar = await startKhabar({
      env: { NEWSROOM_TOKENS: NEWSROOM_TOKEN },
      workers: false,
      timings: { newsroomIntervalMs: 100 },
    });
  });
  afterEach(async () => {
    await khabar.close();
  });

  it('keeps one sample per queue and 5 s slot, whichever process records it first, six minutes at most', async () => {
    const slot = Math.floor(Date.now() / QUEUE_HISTORY_SLOT_MS) * QUEUE_HISTORY_SLOT_MS;
    // Two processes read the same slot: the first one's figures stay.
    await recordQueueStats(khabar.redis, khabar.keys, [figures('ingest', 7)], slot + 100);
    await recordQueueStats(khabar.redis, khabar.keys, [figures('ingest', 9)], slot + 4900);
    // A process whose clock lags behind writes nothing older than what is there.
    await recordQueueStats(khabar.redis, khabar.keys, [figures('ingest', 11)], slot - 5000);
    const [ingest] = await readQueueHistory(khabar.redis, khabar.keys, ['ingest'], slot + 5000);
    assert.deepEqual(ingest, {
      queue: 'ingest',
      samples: [
        {
          at: new Date(slot).toISOString(),
          waiting: 7,
          active: 1,
          delayed: 2,
          failed: 3,
          completedPerMinute: 4,
          oldestWaitingMs: 5000,
        },
      ],
    });

    for (let i = 1; i <= 100; i++) {
      await recordQueueStats(
        khabar.redis,
        khabar.keys,
        [figures('ingest', i)],
        slot + i * QUEUE_HISTORY_SLOT_MS,
      );
    }
    assert.equal(await khabar.redis.xlen(khabar.keys.queueHistory('ingest')), 72);
  });

  it('answers GET /api/queues with the last five minutes, oldest first, to an ingest or a newsroom token only', async () => {
    const now = Date.now();
    for (const [agoMs, waiting] of [
      [8 * MINUTE, 80],
      [4 * MINUTE, 40],
      [1 * MINUTE, 10],
    ] as const) {
      await recordQueueStats(
        khabar.redis,
        khabar.keys,
        [figures('ingest', waiting), figures('poll', waiting + 1)],
        now - agoMs,
      );
    }
    for (const token of [NEWSROOM_TOKEN, TEST_TOKEN]) {
      const answer = await khabar.request('GET', '/api/queues', { token });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const body = answer.body as QueueHistoryAnswer;
      assert.ok(Math.abs(Date.parse(body.serverTime) - Date.now()) < MINUTE);
      assert.deepEqual(
        body.queues.map((q) => [q.queue, q.samples.map((s) => s.waiting)]),
        [
          ['ingest', [40, 10]],
          ['poll', [41, 11]],
        ],
      );
    }
    assert.equal((await khabar.request('GET', '/api/queues', { token: null })).status, 401);
    assert.equal(
      (await khabar.request('GET', '/api/queues', { token: 'wrong-token-0123456789abcdef' }))
        .status,
      403,
    );
  });

  it('keeps what a node reads for a dashboard, and serves it from every node', async () => {
    const other = await startKhabar({
      env: { NEWSROOM_TOKENS: NEWSROOM_TOKEN, KEY_PREFIX: khabar.config.keyPrefix },
      workers: false,
    });
    let socket: Socket<NewsroomServerEvents, NewsroomClientEvents> | undefined;
    try {
      // Waiting before the dashboard connects: the read made for it counts the job.
      const queue = createIngestQueue(khabar.redis, khabar.keys);
      await queue.add('article', {
        article: { id: 'pwaiting', url: 'https://example.com/w', title: 'W', channels: ['top'] },
        acceptedAt: Date.now(),
        source: 'api',
      });
      await queue.close();
      socket = connectClient(`${khabar.url}/newsroom`, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        auth: { token: NEWSROOM_TOKEN },
      });
      const answer = await eventually(async () => {
        const body = (await other.request('GET', '/api/queues', { token: NEWSROOM_TOKEN }))
          .body as QueueHistoryAnswer;
        const ingest = body.queues.find((q) => q.queue === 'ingest');
        return ingest?.samples.some((s) => s.waiting === 1) ? body : undefined;
      });
      assert.deepEqual(
        answer.queues.map((q) => q.queue),
        ['ingest', 'poll'],
      );
      assert.ok(answer.queues.every((q) => q.samples.length > 0));
    } finally {
      socket?.close();
      await other.close();
    }
  });

  it('hands each round of the workers’ queue.stats figures on to be kept', async () => {
    const queue = createIngestQueue(khabar.redis, khabar.keys);
    const rounds: (readonly QueueStats[])[] = [];
    const logger = createLogger({ level: 'silent', role: 'test' });
    const stop = logQueueStats({
      queues: [queue],
      logger,
      health: createRedisHealth({ logger }),
      intervalMs: 50,
      record: (stats) => {
        rounds.push(stats);
      },
    });
    try {
      const [first] = await eventually(() => rounds[0]);
      assert.ok(first);
      assert.equal(first.queue, 'ingest');
      assert.equal(typeof first.waiting, 'number');
    } finally {
      stop();
      await queue.close();
    }
  });
});
