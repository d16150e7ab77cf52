import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { RedisProcess } from '../../server/launch/redis-process.js';
import { createLogger } from '../../shared/infra/logger.js';
import { createRedis, waitUntilReady, type RedisClient } from '../../shared/infra/redis.js';
import { createRedisHealth } from '../../shared/infra/redis-health.js';
import { startTestRedis } from '../helpers/redis.js';

/** How many times Redis has read from a client socket (a write of ours is at least one read). */
async function readsProcessed(observer: Redis): Promise<number> {
  const info = await observer.info('stats');
  return Number(/total_reads_processed:(\d+)/.exec(info)?.[1]);
}

/** Runs `count` INCRs from one turn of the event loop, each as its own call. */
function incrementsInOneTurn(redis: RedisClient, key: string, count: number): Promise<number[]> {
  return Promise.all(Array.from({ length: count }, () => redis.incr(key)));
}

describe('Redis connections write once per event-loop turn', function () {
  this.timeout(20_000);
  let server: RedisProcess;
  let observer: Redis;
  let redis: RedisClient;

  before(async () => {
    // A Redis of its own: nothing else may read from it while reads are counted.
    server = await startTestRedis();
    observer = new Redis(server.url);
  });
  beforeEach(async () => {
    redis = createRedis({
      url: server.url,
      role: 'command',
      name: 'test:coalesce',
      health: createRedisHealth({ logger: createLogger({ level: 'silent', role: 'test' }) }),
    });
    await waitUntilReady(redis, 3000);
  });
  afterEach(() => {
    redis.disconnect();
  });
  after(async () => {
    observer.disconnect();
    await server.stop();
  });

  it('sends 50 commands issued in one turn as one write, each answered in order', async () => {
    await observer.ping(); // the observer's own read happens before the count
    const before = await readsProcessed(observer);
    const replies = await incrementsInOneTurn(redis, 'coalesce:a', 50);
    const reads = (await readsProcessed(observer)) - before;
    assert.deepEqual(
      replies,
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    // One read for the 50 commands and one for the INFO that counts them; without the
    // coalescing each INCR is a write of its own and Redis sees dozens of reads.
    assert.ok(reads <= 3, `Redis read ${reads} times for 50 commands from one turn`);
  });

  it('still sends commands of separate turns promptly, one after the other', async () => {
    for (let i = 1; i <= 5; i++) {
      assert.equal(await redis.incr('coalesce:b'), i);
      await new Promise((resolve) => setImmediate(resolve));
    }
  });

  it('coalesces again on the new socket after a reconnection', async () => {
    const id = await redis.client('ID');
    const reconnected = new Promise((resolve) => redis.once('ready', resolve));
    await observer.client('KILL', 'ID', String(id));
    await reconnected;
    assert.notEqual(await redis.client('ID'), id);
    const before = await readsProcessed(observer);
    const replies = await incrementsInOneTurn(redis, 'coalesce:c', 50);
    const reads = (await readsProcessed(observer)) - before;
    assert.equal(replies.at(-1), 50);
    assert.ok(reads <= 3, `Redis read ${reads} times for 50 commands after reconnecting`);
  });
});
