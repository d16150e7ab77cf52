import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { createChannelLog } from '../shared/domain/channel-log.js';
import { DEFAULT_REDIS_URL, type Config } from '../shared/infra/config.js';
import {
  createIngestQueue,
  type IngestQueueData,
  type IngestQueueResult,
} from '../shared/domain/ingest-queue.js';
import { createKeys } from '../shared/domain/keys.js';
import { reportQueueErrors } from '../shared/infra/queue-errors.js';
import { createNodeId } from '../shared/infra/node-id.js';
import { createRedis } from '../shared/infra/redis.js';
import { createRedisHealth } from '../shared/infra/redis-health.js';
import { createStoreArticle } from './ingest/store-article.js';
import { createPruner } from './ingest/pruner.js';
import { createIngestWorker } from './ingest/worker.js';
import { startCanary } from './monitor/canary.js';
import { reportJobs } from './monitor/job-reports.js';
import { createJobMetricsRecorder } from '../shared/domain/job-metrics.js';
import { createNewsroomPublisher } from '../shared/domain/newsroom-events.js';
import { logQueueStats } from './monitor/queue-stats.js';
import { recordQueueStats } from '../shared/domain/queue-history.js';
import { createHostLimiter } from '../shared/domain/feed/fetch/host-limit.js';
import { createPollWorker } from './poll/worker.js';
import { createPollQueue, createSourceStore } from '../shared/domain/sources.js';
import { createWebSubQueue, createWebSubStore } from '../shared/domain/websub.js';
import { policyFromConfig } from '../shared/domain/address-guard.js';
import { createSubscriptions } from './push/subscriptions.js';
import { createDistribution } from './push/distribution.js';
import { createWebSubWorker } from './push/worker.js';

type IngestWorker = Worker<IngestQueueData, IngestQueueResult>;

export interface WorkerNode {
  /** The worker consuming now (the canary may replace a silent one). */
  readonly worker: IngestWorker;
  /** Starts consuming and the canary. */
  run(): void;
  /**
   * Lets active jobs finish for up to `graceMs`; what is still running then is released to
   * BullMQ's stalled-job check, which hands it to another worker (the processor is idempotent).
   */
  close(graceMs?: number): Promise<void>;
}

/** Wires a worker process's connections and workers from a validated config; used by main and tests. */
export function createWorkerNode(config: Config, logger: Logger): WorkerNode {
  const url = config.redisUrl ?? DEFAULT_REDIS_URL;
  const keys = createKeys(config.keyPrefix);
  const health = createRedisHealth({ logger });
  const data = createRedis({ url, role: 'blocking', name: 'khabar:workers:data', health });
  const connection = createRedis({ url, role: 'blocking', name: 'khabar:workers:queue', health });
  const channelLog = createChannelLog(data, keys, config);
  const monitorQueue = createIngestQueue(data, keys);
  const pollMonitorQueue = createPollQueue(data, keys);
  const webSubQueue = createWebSubQueue(data, keys);
  reportQueueErrors([monitorQueue, pollMonitorQueue, webSubQueue], 'queue', health, logger);
  const jobMetrics = createJobMetricsRecorder(
    data,
    keys,
    health.absorbOr('job-metrics', (err) => {
      logger.debug({ event: 'metrics.flush_failed', err }, 'could not store job metrics');
    }),
  );
  const announce = createNewsroomPublisher(
    data,
    keys,
    health.absorbOr('newsroom', (err) => {
      logger.debug({ event: 'newsroom.publish_failed', err }, 'could not tell the dashboards');
    }),
  );
  let lastActivityAt = Date.now();
  const touch = (): void => {
    lastActivityAt = Date.now();
  };

  // One per process, for the ingest jobs and the feeds' stores alike.
  const pruner = createPruner(channelLog, logger);
  const prune = (ids: readonly string[]): void => {
    pruner.add(ids);
  };
  const startWorker = (): IngestWorker => {
    const worker = createIngestWorker({
      connection,
      keys,
      channelLog,
      concurrency: config.workerConcurrency,
      lockMs: config.workerLockMs,
      logger,
      health,
      prune,
    });
    for (const event of ['active', 'completed', 'failed'] as const) worker.on(event, touch);
    reportJobs(worker, { metrics: jobMetrics, announce });
    worker.run().catch((err: unknown) => {
      logger.error({ event: 'worker.error', err }, 'worker stopped running');
    });
    return worker;
  };

  let worker: IngestWorker | undefined;
  let stopCanary: (() => void) | undefined;
  const sourceStore = createSourceStore(data, keys);
  const storeArticle = createStoreArticle(channelLog, Date.now, prune);
  const webSubStore = createWebSubStore(data, keys);
  const subscriptions = createSubscriptions({
    sources: sourceStore,
    subscriptions: webSubStore,
    queue: webSubQueue,
    publicUrl: config.publicUrl,
    policy: policyFromConfig(config),
    logger,
  });
  const webSubWorker = createWebSubWorker(
    connection,
    keys,
    {
      subscriptions,
      storePush: createDistribution({
        store: sourceStore,
        storeArticle,
        recentLimit: config.recentLimit,
        subscriptions: webSubStore,
        logger,
      }),
    },
    logger,
    health,
  );
  reportJobs(webSubWorker, { metrics: jobMetrics });
  const pollWorker = createPollWorker(
    connection,
    keys,
    {
      store: sourceStore,
      storeArticle,
      onFetched: (source, found) => subscriptions.reconcile(source, found),
      redis: data,
      keys,
      logger,
      allowPrivateFeeds: config.allowPrivateFeeds,
      recentLimit: config.recentLimit,
      hostLimiter: createHostLimiter(2),
    },
    logger,
    health,
  );
  reportJobs(pollWorker, { metrics: jobMetrics });
  let polling = false;
  let stopStats: (() => void) | undefined;

  return {
    get worker() {
      if (!worker) throw new Error('the worker node is not running');
      return worker;
    },
    run() {
      worker ??= startWorker();
      touch();
      stopStats ??= logQueueStats({
        queues: [monitorQueue, pollMonitorQueue],
        logger,
        health,
        // The same figures, kept for the dashboards' charts: with no dashboard open, this is
        // the only history there is (one write per 30 s).
        record: (stats) => {
          recordQueueStats(data, keys, stats, Date.now()).catch((err: unknown) => {
            logger.debug({ event: 'queue.history_failed', err }, 'could not record queue stats');
          });
        },
      });
      jobMetrics.start();
      if (!polling) {
        polling = true;
        pollWorker.run().catch((err: unknown) => {
          logger.error(
            { event: 'worker.error', queue: pollWorker.name, err },
            'poll worker stopped running',
          );
        });
        webSubWorker.run().catch((err: unknown) => {
          logger.error(
            { event: 'worker.error', queue: webSubWorker.name, err },
            'websub worker stopped running',
          );
        });
      }
      stopCanary ??= startCanary({
        queue: monitorQueue,
        nodeId: createNodeId(),
        intervalMs: config.canaryIntervalMs,
        logger,
        health,
        lastActivityAt: () => lastActivityAt,
        restartWorker() {
          const silent = worker;
          worker = startWorker();
          touch();
          logger.warn(
            { event: 'worker.restarted', queue: worker.name },
            'replaced a silent worker',
          );
          void silent?.close(true).catch(() => undefined);
        },
      });
    },
    async close(graceMs = 6000) {
      health.close();
      stopCanary?.();
      stopStats?.();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => {
          resolve('timeout');
        }, graceMs);
      });
      const result = await Promise.race([
        Promise.all([worker?.close(), pollWorker.close(), webSubWorker.close()]),
        grace,
      ]);
      clearTimeout(timer);
      // Past the grace (or with Redis away) nothing more is waited for: dropping the
      // connections releases the locks, and the stalled-job check re-queues what was active.
      if (result === 'timeout') {
        void worker?.close(true);
        void pollWorker.close(true);
        void webSubWorker.close(true);
      }
      for (const q of [monitorQueue, pollMonitorQueue, webSubQueue])
        void q.close().catch(() => undefined);
      // The last counts and prunes, if Redis takes them at once; with Redis away they are not
      // waited for (trimmed posts stay in Redis's set for the next prune).
      await Promise.race([
        Promise.all([jobMetrics.stop(), pruner.close()]),
        new Promise((resolve) => setTimeout(resolve, 500)),
      ]);
      data.disconnect();
      connection.disconnect();
    },
  };
}
