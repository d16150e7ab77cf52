import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { coalesceWrites } from './coalesce-writes.js';
import { RedisTimeoutError, type RedisHealth } from './redis-health.js';
import { parseRedisUrl, type RedisTarget } from './redis-url.js';

/**
 * A connection to Khabar's Redis, whichever form `REDIS_URL` names: one server or a
 * Sentinel-managed master (a `Redis`), or a Cluster. Both speak the same commands; Khabar's
 * keys and scripts stay in two hash slots (`{feed}`, `{queue}`), so a Cluster routes each
 * command, script and pipeline to one master.
 */
export type RedisClient = Redis | Cluster;

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
  /** `REDIS_URL` (already validated by the config), or its parsed form. */
  url: string | RedisTarget;
  role: RedisRole;
  /** Shown in `CLIENT LIST`, to tell the roles and processes apart. */
  name: string;
  /** The process's view of Redis: told of every failed attempt and of the connection being back. */
  health: RedisHealth;
}

/** Reconnect quickly at first, then every 2 s: a restarting Redis is usually back within seconds. */
const retryStrategy = (attempt: number): number => Math.min(50 * 2 ** attempt, 2000);

/**
 * After a failover the old master, if it comes back, is a replica: a write to it answers
 * READONLY. Reconnecting (Sentinel and Cluster then find the new master) and re-sending the
 * command is the only useful answer; 2 tells ioredis to do both.
 */
const reconnectOnError = (err: Error): 2 | false =>
  err.message.startsWith('READONLY') ? 2 : false;

const BY_ROLE: Record<RedisRole, RedisOptions> = {
  command: { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2000 },
  blocking: { enableOfflineQueue: true, maxRetriesPerRequest: null },
};

export function createRedis({ url, role, name, health }: RedisConnectOptions): RedisClient {
  const target = typeof url === 'string' ? parseRedisUrl(url) : url;
  const common: RedisOptions = {
    connectionName: name,
    retryStrategy,
    reconnectOnError,
    connectTimeout: 5000,
    // ioredis re-sends these on reconnect; a blocking XREAD must not run twice at once.
    autoResubscribe: false,
  };
  if (target.kind === 'cluster') {
    const { enableOfflineQueue, ...perNode } = BY_ROLE[role];
    const options: ClusterOptions = {
      ...target.options,
      enableOfflineQueue,
      clusterRetryStrategy: retryStrategy,
      // A promoted replica takes over its slots within seconds: keep asking until it has.
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      scaleReads: 'master',
      redisOptions: { ...target.options.redisOptions, ...common, ...perNode },
    };
    const cluster = new Cluster(target.nodes, options);
    cluster.on('+node', (node: Redis) => {
      coalesceWrites(node);
    });
    health.watch(cluster, name);
    return cluster;
  }
  const sentinel: RedisOptions =
    target.kind === 'sentinel'
      ? {
          // Ask the sentinels again until one names a master, however long the failover takes.
          sentinelRetryStrategy: retryStrategy,
          // Sentinels announce +switch-master: reconnect at once instead of at the next error.
          failoverDetector: true,
        }
      : {};
  const redis = new Redis({ ...target.options, ...common, ...sentinel, ...BY_ROLE[role] });
  coalesceWrites(redis);
  health.watch(redis, name);
  return redis;
}

/** Resolves when the connection is ready, or rejects after `timeoutMs`. */
export async function waitUntilReady(redis: RedisClient, timeoutMs: number): Promise<void> {
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

/** The address a connection is connected to now (`host:port`), for logs; a Cluster's masters. */
export function connectedTo(redis: RedisClient): string | undefined {
  if (redis instanceof Cluster) {
    return redis
      .nodes('master')
      .map((node) => connectedTo(node))
      .join(',');
  }
  const socket = redis.stream as { remoteAddress?: string; remotePort?: number } | undefined;
  return socket?.remoteAddress === undefined
    ? undefined
    : `${socket.remoteAddress}:${String(socket.remotePort ?? '')}`;
}
