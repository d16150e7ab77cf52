import { Worker } from 'bullmq';
import type { RedisClient } from '../../shared/infra/redis.js';
import type { Logger } from 'pino';
import { POLL_QUEUE, type Keys } from '../../shared/domain/keys.js';
import { reportQueueErrors } from '../../shared/infra/queue-errors.js';
import type { RedisHealth } from '../../shared/infra/redis-health.js';
import type { PollJobData } from '../../shared/domain/sources.js';
import { createPollProcessor, type PollDeps, type PollOutcome } from './processor.js';

/** Polls run a few at a time per process: each waits on a publisher, not on the CPU. */
const POLL_CONCURRENCY = 8;

export function createPollWorker(
  connection: RedisClient,
  keys: Keys,
  deps: PollDeps,
  logger: Logger,
  health: RedisHealth,
): Worker<PollJobData, PollOutcome> {
  const worker = new Worker<PollJobData, PollOutcome>(POLL_QUEUE, createPollProcessor(deps), {
    connection,
    prefix: keys.queuePrefix,
    concurrency: POLL_CONCURRENCY,
    // Per-minute completed counts, for the dashboards' queue:stats.
    metrics: { maxDataPoints: 24 * 60 },
    autorun: false,
  });
  worker.on('failed', (job, err) => {
    logger
      .child({ queue: POLL_QUEUE, jobId: job?.id, sourceId: job?.data.sourceId })
      .error({ event: 'job.failed', final: true, err }, 'poll job failed');
  });
  reportQueueErrors([worker], 'worker', health, logger);
  return worker;
}
