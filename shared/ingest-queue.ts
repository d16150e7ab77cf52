import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { NormalizedArticle } from './article.js';
import { INGEST_QUEUE, type Keys } from './keys.js';

/** What the API (and later the feed poller) hands the workers. */
export interface IngestJobData {
  article: NormalizedArticle;
  /** When the article was accepted (ms): publishedAt's default, and the order of versions. */
  acceptedAt: number;
  /** Who sent it: `api` or `source:<id>`. */
  source: string;
}

/** What a completed ingest job returns (kept briefly by BullMQ, shown to operators). */
export interface IngestJobResult {
  postId: string;
  status: 'applied' | 'unchanged' | 'stale';
  events: number;
}

/**
 * Retries cover Redis hiccups and killed workers; data that can never succeed fails once
 * (the processor throws UnrecoverableError). Completed jobs are kept an hour for operators,
 * failed ones a week for the dashboard's retry button.
 */
export const INGEST_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export type IngestQueue = Queue<IngestJobData, IngestJobResult>;

export function createIngestQueue(connection: ConnectionOptions, keys: Keys): IngestQueue {
  return new Queue<IngestJobData, IngestJobResult>(INGEST_QUEUE, {
    connection,
    prefix: keys.queuePrefix,
    defaultJobOptions: INGEST_JOB_OPTIONS,
  });
}
