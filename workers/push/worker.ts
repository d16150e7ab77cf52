import { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { WEBSUB_QUEUE, type Keys } from '../../shared/domain/keys.js';
import { reportQueueErrors } from '../../shared/infra/queue-errors.js';
import type { RedisClient } from '../../shared/infra/redis.js';
import type { RedisHealth } from '../../shared/infra/redis-health.js';
import type { WebSubJob } from '../../shared/domain/websub.js';
import type { Subscriptions } from './subscriptions.js';

/** Each job waits on a hub or stores one pushed document: a few at a time per process. */
const WEBSUB_CONCURRENCY = 8;

/** The `websub` queue's worker: each kind of job to its step. */
export function createWebSubWorker(
  connection: RedisClient,
  keys: Keys,
  steps: {
    subscriptions: Subscriptions;
    storePush: (job: Extract<WebSubJob, { kind: 'push' }>) => Promise<void>;
  },
  logger: Logger,
  health: RedisHealth,
): Worker<WebSubJob> {
  const { subscriptions, storePush } = steps;
  const worker = new Worker<WebSubJob>(
    WEBSUB_QUEUE,
    async (job) => {
      const data = job.data;
      switch (data.kind) {
        case 'subscribe':
          return subscriptions.subscribe(data.sourceId, { hub: data.hub, topic: data.topic });
        case 'renew':
          return subscriptions.renew(data.subscriptionId);
        case 'unsubscribe':
          return subscriptions.unsubscribe(data.subscriptionId);
        case 'push':
          return storePush(data);
      }
    },
    {
      connection,
      prefix: keys.queuePrefix,
      concurrency: WEBSUB_CONCURRENCY,
      autorun: false,
    },
  );
  worker.on('failed', (job, err) => {
    logger
      .child({ queue: WEBSUB_QUEUE, jobId: job?.id })
      .error({ event: 'job.failed', kind: job?.data.kind, err }, 'websub job failed');
  });
  reportQueueErrors([worker], 'worker', health, logger);
  return worker;
}
