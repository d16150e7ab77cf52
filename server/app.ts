import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import express from 'express';
import type { RedisClient } from '../shared/infra/redis.js';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import { createChannelLog } from '../shared/domain/channel-log.js';
import type { Config } from '../shared/infra/config.js';
import type { IngestQueue } from '../shared/domain/ingest-queue.js';
import type { Keys } from '../shared/domain/keys.js';
import { createNodeId } from '../shared/infra/node-id.js';
import type { RedisHealth } from '../shared/infra/redis-health.js';
import { createSourceStore, type PollQueue } from '../shared/domain/sources.js';
import type { PublicClientEvents, PublicServerEvents } from '../shared/contract/protocol.js';
import { articlesRouter } from './http/articles.js';
import { corsFor, pollingCors } from './http/cors.js';
import { demoRouter } from './http/demo.js';
import { embedRouter } from './http/embed.js';
import { requireBearerToken } from './http/auth.js';
import { errorHandler, notFound } from './http/errors.js';
import { postsRouter } from './http/posts.js';
import { requestLogger } from './http/request-log.js';
import { sourcesRouter } from './http/sources.js';
import { staticRouter } from './http/static.js';
import { refuseFeedHost } from './http/feed-host.js';
import { limitRequestsPerToken } from './http/rate-limit.js';
import { createEventTail } from './realtime/event-tail.js';
import { createPresence } from './realtime/presence.js';
import { watchForFailovers } from './failover.js';
import { createAcceptedJournal } from './http/accepted-journal.js';
import {
  attachPublicNamespace,
  type NoServerEvents,
  type PublicSocketData,
} from './realtime/public-namespace.js';
import { createSlowConsumerGuard } from './realtime/slow-consumers.js';
import { leaveOwnRooms, shareHandshakes, slimConnections } from './realtime/slim-connections.js';
import { coalesceUpgradeWrites } from './realtime/upgrade-writes.js';
import { encodedAnswerParser } from './realtime/encoded-acks.js';
import { createStreams } from './realtime/sse.js';
import { createServerMetrics } from './metrics.js';
import { metricsRouter } from './http/metrics.js';
import { jobsRouter } from './http/jobs.js';
import { queuesRouter } from './http/queues.js';
import type { ReplicaBarrier } from '../shared/infra/replica-barrier.js';
import { recordQueueStats } from '../shared/domain/queue-history.js';
import { readJobMetrics } from '../shared/domain/job-metrics.js';
import { createNewsroomPublisher } from '../shared/domain/newsroom-events.js';
import { attachNewsroomNamespace, type NewsroomNamespace } from './realtime/newsroom-namespace.js';
import { createNewsroomPulse } from './realtime/newsroom-pulse.js';
import { createTokenSet } from './tokens.js';
import { createWebSubStore, MAX_FEED_BYTES, type WebSubQueue } from '../shared/domain/websub.js';
import { webSubRouter } from './http/websub.js';
import { apiDescriptionRouter } from './http/openapi/router.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  /** The process's view of Redis: where connection problems go instead of error lines. */
  health: RedisHealth;
  keys: Keys;
  /** `command` role: fails fast, for requests and sockets. */
  redis: RedisClient;
  /** `blocking` role, used by nothing else: the fan-out tail's XREAD holds it. */
  tailRedis: RedisClient;
  queue: IngestQueue;
  pollQueue: PollQueue;
  /** WebSub work for the workers: pushed content, renewals, unsubscriptions. */
  webSubQueue: WebSubQueue;
  /** The connection `queue` and `pollQueue` write through. */
  queueRedis: RedisClient;
  /** What a 202 waits for: the queue connection's writes on REDIS_MIN_REPLICAS replicas. */
  replicas: ReplicaBarrier;
  timings?: ServerTimings;
}

/** Periods a node keeps; SPEC's values by default, shorter in tests. */
export interface ServerTimings {
  /** How often each node reports its viewers to Redis (presence). */
  presenceIntervalMs?: number;
  /** How often dashboards get `queue:stats` and `presence`. */
  newsroomIntervalMs?: number;
  /** engine.io's heartbeat (its `pingInterval`, 25 s by default). */
  heartbeatIntervalMs?: number;
  /** How many subscribes a new connection may make at once (50). */
  subscribeBurst?: number;
  /** How often each Server-Sent Events stream gets a `: ping` comment (30 s). */
  streamPingIntervalMs?: number;
}

export interface App {
  httpServer: HttpServer;
  /** The Express app inside `httpServer`: the API description test walks its routes. */
  httpApp: express.Express;
  io: Server;
  /** Starts following the fan-out stream. */
  start(): void;
  /** Stops accepting, tells clients to reconnect elsewhere, stops the tail. */
  close(): Promise<void>;
}

/** Builds the HTTP + Socket.IO server from its dependencies; never reads env, never listens. */
export function createApp(deps: AppDeps): App {
  const { config, logger, health, keys, redis, tailRedis, queue, queueRedis, pollQueue, replicas } =
    deps;
  const { webSubQueue } = deps;
  const timings = deps.timings ?? {};
  const channelLog = createChannelLog(redis, keys, config);
  const httpApp = express();
  httpApp.disable('x-powered-by');
  httpApp.set('query parser', 'simple');
  // Every JSON answer is live (serverTime, cursors, queue figures), so an ETag would never
  // match and hashing each body is wasted work; the widget's static files keep their own.
  httpApp.set('etag', false);

  const httpServer = createServer(httpApp);
  const io = new Server<PublicClientEvents, PublicServerEvents, NoServerEvents, PublicSocketData>(
    httpServer,
    {
      serveClient: false,
      // Acks that carry an answer encoded once for many sockets (subscribe storms).
      parser: encodedAnswerParser,
      // Public clients only send small subscribe requests.
      maxHttpBufferSize: 16 * 1024,
      // engine.io's default, stated because the room writer's frames are not compressed.
      perMessageDeflate: false,
      ...(timings.heartbeatIntervalMs === undefined
        ? {}
        : { pingInterval: timings.heartbeatIntervalMs }),
    },
  );
  // engine.io draws its session ids from a pool of random bytes that it refills asynchronously:
  // in a reconnect storm the pool runs dry and each id costs a synchronous randomBytes call
  // (2.5% of the server's samples in the bench's storm). Node's randomUUID keeps its own
  // batch, and its 122 random bits are as unguessable.
  io.engine.generateId = () => randomUUID();
  io.engine.use(pollingCors(config.corsOrigins));
  coalesceUpgradeWrites(io);
  slimConnections(io);
  shareHandshakes(io.of('/'));
  leaveOwnRooms(io.of('/'));
  // Assigned below: the metrics read the public namespace's rooms and the streams at scrape time.
  let localViewers = (): Map<string, number> => new Map();
  let openStreams = (): number => 0;
  const metrics = createServerMetrics({
    io,
    queues: [queue, pollQueue],
    subscriptions: () => {
      let total = 0;
      for (const viewers of localViewers().values()) total += viewers;
      return total;
    },
    streams: () => openStreams(),
    jobMetrics: () => readJobMetrics(redis, keys),
  });
  const slowConsumers = createSlowConsumerGuard({
    sweptWhole: [io.of('/newsroom')],
    limitBytes: config.slowClientBufferBytes,
    logger,
    onDrop: () => {
      metrics.slowConsumerDrops.inc();
    },
  });
  const delivery = attachPublicNamespace({
    nsp: io.of('/'),
    recentLimit: config.recentLimit,
    // Never replay from memory what Redis no longer keeps: the window is HISTORY_LIMIT.
    eventsKept: Math.min(256, config.historyLimit),
    channelLog,
    defaultLocale: config.defaultLocale,
    logger,
    health,
    subscribeBurst: timings.subscribeBurst,
    onBehind: slowConsumers.behind,
    onPushed: (event, sockets) => {
      metrics.eventsPushed.inc({ type: event.type });
      metrics.deliveries.inc(sockets);
      if (event.acceptedAt !== undefined)
        metrics.publishToDeliver.observe(Math.max(0, Date.now() - event.acceptedAt) / 1000);
    },
  });
  const streams = createStreams({
    delivery,
    defaultLocale: config.defaultLocale,
    snapshotLimit: config.recentLimit,
    limitBytes: config.slowClientBufferBytes,
    logger,
    pingIntervalMs: timings.streamPingIntervalMs,
    onDrop: () => {
      metrics.slowConsumerDrops.inc();
    },
    onDelivered: (copies) => {
      metrics.deliveries.inc(copies);
    },
  });
  // A stream is a reader of its channel as a subscribed socket is: presence and metrics count both.
  localViewers = () => {
    const viewers = delivery.localViewers();
    for (const [channel, count] of streams.viewers())
      viewers.set(channel, (viewers.get(channel) ?? 0) + count);
    return viewers;
  };
  openStreams = () => streams.size;
  const journal = createAcceptedJournal();
  const failoverWatch = watchForFailovers({
    redis,
    keys,
    channelLog,
    delivery,
    queue,
    queueRedis,
    journal,
    logger,
  });
  const presence = createPresence({
    redis,
    keys,
    nodeId: createNodeId(),
    localViewers: () => localViewers(),
    logger,
    health,
    intervalMs: timings.presenceIntervalMs,
  });
  const newsroom = attachNewsroomNamespace({
    // `io` is typed with the public namespace's events; this namespace has its own.
    nsp: io.of('/newsroom') as unknown as NewsroomNamespace,
    tokens: createTokenSet(config.newsroomTokens),
    corsOrigins: config.corsOrigins,
    defaultLocale: config.defaultLocale,
    logger,
    onConnected: (socket) => {
      pulse.greet(socket);
    },
  });
  const pulse = createNewsroomPulse({
    newsroom,
    queues: [queue, pollQueue],
    viewers: presence.viewers,
    // What this node reads for its dashboards becomes the history that every node serves.
    record: (stats, at) => recordQueueStats(redis, keys, stats, at),
    logger,
    health,
    intervalMs: timings.newsroomIntervalMs,
  });
  const announce = createNewsroomPublisher(
    redis,
    keys,
    health.absorbOr('newsroom', (err) => {
      // The article is queued either way; only the dashboards miss the news.
      logger.debug({ event: 'newsroom.publish_failed', err }, 'could not tell the dashboards');
    }),
  );
  const tail = createEventTail({
    redis: tailRedis,
    keys,
    logger,
    onEvents: (events) => {
      const readAt = Date.now();
      delivery.deliver(events);
      newsroom.deliverPosts(events);
      metrics.observeHops(events, readAt, Date.now());
    },
    onNewsroom: (messages) => {
      for (const { type, payload } of messages) newsroom.send(type, payload);
    },
  });

  const rateLimit = limitRequestsPerToken(redis, keys.rateLimit, config.ingestRateLimit);
  const guard = [requireBearerToken(config.ingestTokens, 'INGEST_TOKENS'), rateLimit];
  // What editors do from the dashboard (retract, retry, list) takes either kind of token.
  const editorGuard = [
    requireBearerToken(
      [...config.ingestTokens, ...config.newsroomTokens],
      'INGEST_TOKENS or NEWSROOM_TOKENS',
    ),
    rateLimit,
  ];
  const corsPolicy = corsFor(config.corsOrigins);
  // First: every later handler, the error handler included, logs through `req.log` (its reqId).
  httpApp.use(requestLogger(httpApp, logger));
  httpApp.use(
    ['/api/posts', '/api/channels', '/api/stream', '/api/openapi.json', '/api/asyncapi.json'],
    corsPolicy.publicReads,
  );
  const webSubStore = createWebSubStore(redis, keys);
  httpApp.use(
    webSubRouter({
      subscriptions: webSubStore,
      queue: webSubQueue,
      logger,
      maxBytes: MAX_FEED_BYTES,
    }),
  );
  httpApp.use(['/api/articles', '/api/sources', '/api/jobs', '/api/queues'], corsPolicy.guarded);
  httpApp.use(
    articlesRouter({
      queue,
      replicas,
      journal,
      channelLog,
      guard,
      removeGuard: editorGuard,
      announce,
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
      readGuard: editorGuard,
      allowPrivateFeeds: config.allowPrivateFeeds,
      refuseHost: refuseFeedHost,
      onDeleted: async ({ push }) => {
        if (push?.subscriptionId === undefined) return;
        await webSubQueue.add('unsubscribe', {
          kind: 'unsubscribe',
          subscriptionId: push.subscriptionId,
        });
      },
    }),
  );
  httpApp.use(jobsRouter({ queue, guard: editorGuard }));
  httpApp.use(
    queuesRouter({ redis, keys, queues: [queue.name, pollQueue.name], guard: editorGuard }),
  );
  httpApp.use(
    postsRouter({
      channelLog,
      redis,
      readyKey: keys.events,
      defaultLocale: config.defaultLocale,
      viewers: presence.viewers,
    }),
  );
  httpApp.use(embedRouter({ channelLog, defaultLocale: config.defaultLocale }));
  httpApp.use(streams.router);
  httpApp.use(
    apiDescriptionRouter({
      production: config.production,
      allowPrivateFeeds: config.allowPrivateFeeds,
      host:
        config.publicUrl === undefined
          ? `localhost:${config.port}`
          : new URL(config.publicUrl).host,
    }),
  );
  httpApp.use(staticRouter({ production: config.production }));
  httpApp.use(demoRouter({ queue, production: config.production, announce }));
  httpApp.use(notFound);
  httpApp.use(errorHandler(health));

  return {
    httpServer,
    httpApp,
    io,
    start() {
      tail.start();
      presence.start();
      pulse.start();
      failoverWatch.start();
      streams.start();
      slowConsumers.start();
    },
    async close() {
      // Closing the engine drops every transport: clients see "transport close" and
      // reconnect (to another node), resuming from their cursors.
      const closed = new Promise<void>((resolve) =>
        httpServer.close(() => {
          resolve();
        }),
      );
      slowConsumers.stop();
      pulse.stop();
      failoverWatch.stop();
      io.engine.close();
      streams.close();
      httpServer.closeAllConnections();
      await Promise.all([closed, tail.stop(), presence.stop().catch(() => undefined)]);
    },
  };
}
