import type { Logger } from 'pino';
import { DEFAULT_REDIS_URL, minReplicas, type Config } from '../shared/infra/config.js';
import { createReplicaBarrier } from '../shared/infra/replica-barrier.js';
import { createIngestQueue } from '../shared/domain/ingest-queue.js';
import { createKeys } from '../shared/domain/keys.js';
import { reportQueueErrors } from '../shared/infra/queue-errors.js';
import { createRedisHealth } from '../shared/infra/redis-health.js';
import { createPollQueue } from '../shared/domain/sources.js';
import { createWebSubQueue } from '../shared/domain/websub.js';
import { createRedis, waitUntilReady } from '../shared/infra/redis.js';
import { createApp, type App, type ServerTimings } from './app.js';

/**
 * Connections the kernel queues for this node until it accepts them. When thousands of readers
 * reconnect at once (a deploy, a network blip), Node's default of 511 overflows: the kernel
 * drops their handshakes and each client retries 1, 3 or 7 s later (`nstat`'s
 * `TcpExtListenOverflows` while a node served the bench's storm, 5k connects then 5k
 * reconnecting: 16,779 drops at 511, none at 4096). The kernel caps it at `net.core.somaxconn`
 * (4096 by default; README "Production").
 */
const LISTEN_BACKLOG = 4096;

export interface ServerNode {
  app: App;
  /** Listens, starts the fan-out, and resolves with the bound port. */
  listen(port: number, host: string): Promise<number>;
  /** Drains (clients told to reconnect), then closes the queue and Redis connections. */
  close(): Promise<void>;
}

/** Wires a server node's connections and app from a validated config; used by main and tests. */
export function createServerNode(
  config: Config,
  logger: Logger,
  timings?: ServerTimings,
): ServerNode {
  const url = config.redisUrl ?? DEFAULT_REDIS_URL;
  const keys = createKeys(config.keyPrefix);
  const health = createRedisHealth({ logger });
  const redis = createRedis({ url, role: 'command', name: 'khabar:server:command', health });
  const tailRedis = createRedis({ url, role: 'blocking', name: 'khabar:server:tail', health });
  // BullMQ defines its ~60 scripts as commands on the connection it is given, and ioredis
  // copies every one of them onto each pipeline made on that connection (about 0.25 ms a
  // pipeline): the queues get a connection of their own, so Khabar's pipelines stay cheap.
  const queueRedis = createRedis({ url, role: 'command', name: 'khabar:server:queue', health });
  const queue = createIngestQueue(queueRedis, keys);
  const pollQueue = createPollQueue(queueRedis, keys);
  const webSubQueue = createWebSubQueue(queueRedis, keys);
  reportQueueErrors([queue, pollQueue, webSubQueue], 'queue', health, logger);
  const replicas = createReplicaBarrier(queueRedis, {
    replicas: minReplicas(config),
    timeoutMs: config.redisReplicaWaitMs,
    slotKey: keys.queuePrefix,
  });
  const app = createApp({
    config,
    logger,
    health,
    keys,
    redis,
    tailRedis,
    queue,
    queueRedis,
    pollQueue,
    webSubQueue,
    replicas,
    timings,
  });

  return {
    app,
    async listen(port, host) {
      // A node that comes up with Redis should answer its first request; one that comes up
      // without it still listens (readyz says 503) and catches up when Redis is back.
      await waitUntilReady(redis, 3000).catch(() => undefined);
      return new Promise((resolve, reject) => {
        app.httpServer.once('error', reject);
        app.httpServer.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
          app.httpServer.off('error', reject);
          app.start();
          const address = app.httpServer.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      });
    },
    async close() {
      health.close();
      await app.close();
      await Promise.all([queue.close(), pollQueue.close(), webSubQueue.close()]);
      await Promise.all(
        [redis, queueRedis].map((connection) =>
          connection.quit().catch(() => {
            connection.disconnect();
          }),
        ),
      );
    },
  };
}
