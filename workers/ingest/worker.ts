import { Worker } from 'bullmq';
import type { RedisClient } from '../../shared/infra/redis.js';
import type { Logger } from 'pino';
import type { ChannelLog } from '../../shared/domain/channel-log.js';
import type { IngestQueueData, IngestQueueResult } from '../../shared/domain/ingest-queue.js';
import { INGEST_QUEUE, type Keys } from '../../shared/domain/keys.js';
import { reportQueueErrors } from '../../shared/infra/queue-errors.js';
import type { RedisHealth } from '../../shared/infra/redis-health.js';
import { logJobLifecycle } from '../monitor/job-logs.js';
import { createIngestProcessor } from './processor.js';

export interface IngestWorkerDeps {
  /** A `blocking`-role connection; BullMQ duplicates it for its own blocking reads. */
  connection: RedisClient;
  keys: Keys;
  channelLog: ChannelLog;
  concurrency: number;
  /** Lock time; a killed worker's jobs are taken over about this long after it died. */
  lockMs: number;
  logger: Logger;
  health: RedisHealth;
  /** Takes the posts a job trimmed, to delete them later in a batch (pruner.ts). */
  prune?: (ids: readonly string[]) => void;
}

export function createIngestWorker({
  connection,
  keys,
  channelLog,
  concurrency,
  lockMs,
  logger,
  health,
  prune,
}: IngestWorkerDeps): Worker<IngestQueueData, IngestQueueResult> {
  const worker = new Worker<IngestQueueData, IngestQueueResult>(
    INGEST_QUEUE,
    createIngestProcessor(channelLog, Date.now, prune),
    {
      connection,
      prefix: keys.queuePrefix,
      concurrency,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      // Per-minute completed/failed counts (a day of them), for queue.stats.
      metrics: { maxDataPoints: 24 * 60 },
      autorun: false,
    },
  );
  logJobLifecycle(worker, logger);
  reportQueueErrors([worker], 'worker', health, logger);
  return worker;
}
