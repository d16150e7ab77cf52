import { createServer, type Server as HttpServer } from 'node:http';
import express from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import { createChannelLog } from '../shared/channel-log.js';
import type { Config } from '../shared/config.js';
import type { IngestQueue } from '../shared/ingest-queue.js';
import type { Keys } from '../shared/keys.js';
import { createNodeId } from '../shared/node-id.js';
import { createSourceStore, type PollQueue } from '../shared/sources.js';
import type { PublicClientEvents, PublicServerEvents } from '../shared/protocol.js';
import { articlesRouter } from './http/articles.js';
import { demoRouter } from './http/demo.js';
import { requireBearerToken } from './http/auth.js';
import { errorHandler, notFound } from './http/errors.js';
import { postsRouter } from './http/posts.js';
import { sourcesRouter } from './http/sources.js';
import { staticRouter } from './http/static.js';
import { refuseFeedHost } from './http/feed-host.js';
import { limitRequestsPerToken } from './http/rate-limit.js';
import { createEventTail } from './realtime/event-tail.js';
import { createPresence } from './realtime/presence.js';
import {
  attachPublicNamespace,
  type NoServerEvents,
  type PublicSocketData,
} from './realtime/public-namespace.js';
import { guardSlowConsumers } from './realtime/slow-consumers.js';
import { createServerMetrics } from './metrics.js';
import { metricsRouter } from './http/metrics.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  keys: Keys;
  /** `command` role: fails fast, for requests and sockets. */
  redis: Redis;
  /** `blocking` role, used by nothing else: the fan-out tail's XREAD holds it. */
  tailRedis: Redis;
  queue: IngestQueue;
  pollQueue: PollQueue;
}

export interface App {
  httpServer: HttpServer;
  io: Server;
  /** Starts following the fan-out stream. */
  start(): void;
  /** Stops accepting, tells clients to reconnect elsewhere, stops the tail. */
  close(): Promise<void>;
}

/** Builds the HTTP + Socket.IO server from its dependencies; never reads env, never listens. */
export function createApp({
  config,
  logger,
  keys,
  redis,
  tailRedis,
  queue,
  pollQueue,
}: AppDeps): App {
  const channelLog = createChannelLog(redis, keys, config);
  const httpApp = express();
  httpApp.disable('x-powered-by');
  httpApp.set('query parser', 'simple');

  const httpServer = createServer(httpApp);
  const io = new Server<PublicClientEvents, PublicServerEvents, NoServerEvents, PublicSocketData>(
    httpServer,
    {
      serveClient: false,
      cors: { origin: config.corsOrigins === '*' ? '*' : [...config.corsOrigins] },
      // Public clients only send small subscribe requests.
      maxHttpBufferSize: 16 * 1024,
    },
  );
  const metrics = createServerMetrics(io, [queue, pollQueue]);
  const delivery = attachPublicNamespace({
    nsp: io.of('/'),
    recentLimit: config.recentLimit,
    // Never replay from memory what Redis no longer keeps: the window is HISTORY_LIMIT.
    eventsKept: Math.min(256, config.historyLimit),
    channelLog,
    defaultLocale: config.defaultLocale,
    logger,
    onPushed: (type, sockets) => {
      metrics.eventsPushed.inc({ type });
      metrics.deliveries.inc(sockets);
    },
  });
  const presence = createPresence({
    redis,
    keys,
    nodeId: createNodeId(),
    localViewers: delivery.localViewers,
    logger,
  });
  let stopGuard: (() => void) | undefined;
  const tail = createEventTail({
    redis: tailRedis,
    keys,
    logger,
    onEvents: (events) => {
      delivery.deliver(events);
    },
  });

  const guard = [
    requireBearerToken(config.ingestTokens, 'INGEST_TOKENS'),
    limitRequestsPerToken(redis, `${keys.all}ratelimit`, config.ingestRateLimit),
  ];
  httpApp.use(
    articlesRouter({
      queue,
      channelLog,
      logger,
      guard,
      count: {
        accepted: (n) => {
          metrics.ingestAccepted.inc(n);
        },
        rejected: (n) => {
          metrics.ingestRejected.inc(n);
        },
      },
    }),
  );
  httpApp.use(metricsRouter(metrics, config.metricsToken));
  httpApp.use(
    sourcesRouter({
      store: createSourceStore(redis, keys),
      queue: pollQueue,
      guard,
      allowPrivateFeeds: config.allowPrivateFeeds,
      refuseHost: refuseFeedHost,
    }),
  );
  httpApp.use(
    postsRouter({
      channelLog,
      redis,
      defaultLocale: config.defaultLocale,
      viewers: presence.viewers,
    }),
  );
  httpApp.use(staticRouter({ production: config.production }));
  httpApp.use(demoRouter({ queue, production: config.production, logger }));
  httpApp.use(notFound);
  httpApp.use(errorHandler(logger));

  return {
    httpServer,
    io,
    start() {
      tail.start();
      presence.start();
      stopGuard = guardSlowConsumers({
        io,
        limitBytes: config.slowClientBufferBytes,
        logger,
        onDrop: () => {
          metrics.slowConsumerDrops.inc();
        },
      });
    },
    async close() {
      // Closing the engine drops every transport: clients see "transport close" and
      // reconnect (to another node), resuming from their cursors.
      const closed = new Promise<void>((resolve) =>
        httpServer.close(() => {
          resolve();
        }),
      );
      stopGuard?.();
      io.engine.close();
      httpServer.closeAllConnections();
      await Promise.all([closed, tail.stop(), presence.stop().catch(() => undefined)]);
    },
  };
}
