import { Queue, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import type { NormalizedArticle } from './article/normalize.js';
import { INGEST_QUEUE, type Keys } from './keys.js';

interface AcceptedArticles {
  /** When the articles were accepted (ms): publishedAt's default, and the order of versions. */
  acceptedAt: number;
  /** Who queued them: `api` (POST /api/articles) or `demo` (the demo's sample route). Feed items never pass through the queue: polls store them inline. */
  source: string;
}

/** One article: a POST of one (most producers send one at a time), or the demo's sample. */
export interface ArticleJobData extends AcceptedArticles {
  article: NormalizedArticle;
}

/**
 * The articles of one batch POST, or of single-article POSTs accepted together, stored in their
 * order by one job: BullMQ's own cost (adding, taking, locking, completing a job) is then paid
 * once a job, not once an article.
 */
export interface BatchJobData extends AcceptedArticles {
  articles: NormalizedArticle[];
  /**
   * Each article's own accepted time, when the job groups single-article POSTs
   * (server/http/group-commit.ts); without it every article was accepted at `acceptedAt`.
   */
  acceptedAts?: number[];
}

/** What the API hands the workers. */
export type IngestJobData = ArticleJobData | BatchJobData;

/** Job names, as operators see them in the queue: one per shape of data. */
export const ARTICLE_JOB = 'article';
export const BATCH_JOB = 'articles';

export function isBatch(data: IngestJobData): data is BatchJobData {
  return 'articles' in data;
}

/**
 * The job's articles, in the order they were accepted. A job is data in Redis: a forged batch
 * whose `articles` is not a list has none (the worker fails it; logs must not throw on it).
 */
export function articlesOf(data: IngestJobData): NormalizedArticle[] {
  if (!isBatch(data)) return [data.article];
  return Array.isArray(data.articles) ? data.articles : [];
}

/** The job of `data`: named by its shape, and a batch with its own options (BATCH_JOB_OPTIONS). */
export function ingestJob(data: IngestJobData): {
  name: string;
  data: IngestJobData;
  opts?: JobsOptions;
} {
  return isBatch(data)
    ? { name: BATCH_JOB, data, opts: BATCH_JOB_OPTIONS }
    : { name: ARTICLE_JOB, data };
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

/**
 * A batch job holds up to a hundred articles (up to ~500 KB): kept like an article's, a thousand
 * completed ones would be tens of megabytes, so a batch leaves the queue once done (its posts are
 * stored, its outcome is in the logs and the metrics). A failed one is kept like any other: the
 * count trims the whole failed set, so a smaller one here would drop failed single-article jobs,
 * each an article answered 202 that waits for an editor's retry.
 */
export const BATCH_JOB_OPTIONS: JobsOptions = { ...INGEST_JOB_OPTIONS, removeOnComplete: true };

/** A completed batch job's result: each article's, in the batch's order. */
export interface IngestBatchResult {
  posts: IngestJobResult[];
}

/** A completed job's result: null for a canary. */
export type IngestQueueResult = IngestJobResult | IngestBatchResult | null;

export type IngestQueue = Queue<IngestQueueData, IngestQueueResult>;

/** A job of the ingest queue, as BullMQ hands it back. */
export type IngestQueueJob = Job<IngestQueueData, IngestQueueResult>;

/** Queues `data` as its job ({@link ingestJob}); resolves once the job is in Redis. */
export function addIngestJob(queue: IngestQueue, data: IngestJobData): Promise<IngestQueueJob> {
  const { name, opts } = ingestJob(data);
  return queue.add(name, data, opts);
}

export function createIngestQueue(connection: ConnectionOptions, keys: Keys): IngestQueue {
  return new Queue<IngestQueueData, IngestQueueResult>(INGEST_QUEUE, {
    connection,
    prefix: keys.queuePrefix,
    defaultJobOptions: INGEST_JOB_OPTIONS,
  });
}
