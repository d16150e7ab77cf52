import { Redis, type RedisOptions } from 'ioredis';
import { coalesceWrites } from './coalesce-writes.js';
import { RedisTimeoutError, type RedisHealth } from './redis-health.js';

/**
 * Connections by role, because one connection cannot serve them all well:
 * - `command`: request/response work on behalf of an HTTP request or a socket. It fails
 *   fast while Redis is away (no offline queue, one retry), so callers can answer 503
 *   instead of hanging.
 * - `blocking`: BullMQ workers and the fan-out tail (`XREAD BLOCK`). They wait for Redis
 *   as long as it takes and never give up a command, as BullMQ requires.
 */
export type RedisRole = 'command' | 'blocking';

export interface RedisConnectOptions {
  url: string;
  role: RedisRole;
  /** Shown in `CLIENT LIST`, to tell the roles and processes apart. */
  name: string;
  /** The process's view of Redis: told of every failed attempt and of the connection being back. */
  health: RedisHealth;
}

/** Reconnect quickly at first, then every 2 s: a restarting Redis is usually back within seconds. */
const retryStrategy = (attempt: number): number => Math.min(50 * 2 ** attempt, 2000);

export function createRedis({ url, role, name, health }: RedisConnectOptions): Redis {
  const common: RedisOptions = {
    connectionName: name,
    retryStrategy,
    connectTimeout: 5000,
    // ioredis re-sends these on reconnect; a blocking XREAD must not run twice at once.
    autoResubscribe: false,
  };
  const byRole: Record<RedisRole, RedisOptions> = {
    command: { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2000 },
    blocking: { enableOfflineQueue: true, maxRetriesPerRequest: null },
  };
  const redis = new Redis(url, { ...common, ...byRole[role] });
  coalesceWrites(redis);
  health.watch(redis, name);
  return redis;
}

/** Resolves when the connection is ready, or rejects after `timeoutMs`. */
export async function waitUntilReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new RedisTimeoutError(timeoutMs));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}
