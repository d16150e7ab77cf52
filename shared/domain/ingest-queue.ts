import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { NormalizedArticle } from './article/normalize.js';
import { INGEST_QUEUE, type Keys } from './keys.js';

/** What the API (and later the feed poller) hands the workers. */
export interface IngestJobData {
  article: NormalizedArticle;
  /** When the article was accepted (ms): publishedAt's default, and the order of versions. */
  acceptedAt: number;
  /** Who queued it: `api` (POST /api/articles) or `demo` (the demo's sample route). Feed items never pass through the queue: polls store them inline. */
  source: string;
}

/**
 * A canary: a job that does nothing, sent by each worker process to prove the queue is
 * really consumed (workers/monitor/canary.ts). `canary` names the process that sent it.
 */
export interface CanaryJobData {
  canary: string;
}

export type IngestQueueData = IngestJobData | CanaryJobData;

export const CANARY_JOB = 'canary';

export function isCanary(data: IngestQueueData): data is CanaryJobData {
  return 'canary' in data;
}

/** What a completed ingest job returns (kept briefly by BullMQ, shown to operators). */
export interface IngestJobResult {
  postId: string;
  /** `expired`: older than every full recent list it would enter, so not stored. */
  status: 'created' | 'updated' | 'unchanged' | 'stale' | 'expired';
  events: number;
}

/**
 * Retries cover Redis hiccups and killed workers; data that can never succeed fails once
 * (the processor throws UnrecoverableError). The last thousand completed jobs (at most an hour
 * old) are kept for operators, failed ones a week (at most ten thousand) for the dashboard's
 * retry button: both bounded, so Redis memory stays flat however many articles flow.
 */
export const INGEST_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

/** A completed job's result: null for a canary. */
export type IngestQueueResult = IngestJobResult | null;

export type IngestQueue = Queue<IngestQueueData, IngestQueueResult>;

export function createIngestQueue(connection: ConnectionOptions, keys: Keys): IngestQueue {
  return new Queue<IngestQueueData, IngestQueueResult>(INGEST_QUEUE, {
    connection,
    prefix: keys.queuePrefix,
    defaultJobOptions: INGEST_JOB_OPTIONS,
  });
}
