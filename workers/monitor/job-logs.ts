import type { Job, Worker } from 'bullmq';
import { isObject } from '../../shared/domain/article/fields.js';
import type { Logger } from 'pino';
import {
  articlesOf,
  isBatch,
  isCanary,
  type IngestJobResult,
  type IngestQueueData,
  type IngestQueueResult,
} from '../../shared/domain/ingest-queue.js';

type IngestWorker = Worker<IngestQueueData, IngestQueueResult>;

/** The ids of a job's posts; forged data (an article that is not an object) names none. */
function postIdsOf(data: IngestQueueData): (string | undefined)[] {
  if (isCanary(data)) return [];
  const articles: unknown[] = articlesOf(data);
  return articles.map((article) =>
    isObject(article) && typeof article.id === 'string' ? article.id : undefined,
  );
}

/** The post an ingest job is about: its article's, or the first of its batch. */
export function postIdOf(job: Job<IngestQueueData> | undefined): string | undefined {
  return job ? postIdsOf(job.data)[0] : undefined;
}

/** What a job's log lines name: its post, or every post of its batch. */
function postsNamed(job: Job<IngestQueueData> | undefined): object {
  if (!job || isCanary(job.data)) return {};
  const ids = postIdsOf(job.data);
  return isBatch(job.data) ? { postIds: ids } : { postId: ids[0] };
}

/** A completed job's outcome for its log line: a batch counts its posts by status. */
function outcomeOf(result: IngestQueueResult): object {
  if (!result) return {};
  if (!('posts' in result)) return { status: result.status, events: result.events };
  const statuses: Partial<Record<IngestJobResult['status'], number>> = {};
  for (const { status } of result.posts) statuses[status] = (statuses[status] ?? 0) + 1;
  return { statuses, events: result.posts.reduce((sum, post) => sum + post.events, 0) };
}

/** Whether a failed attempt was the last: the job stays failed until someone retries it. */
export function isFinalFailure(job: Job | undefined, err: Error): boolean {
  return err.name === 'UnrecoverableError' || (job?.attemptsMade ?? 0) >= (job?.opts.attempts ?? 1);
}

/** How long an attempt took, from being taken to finishing. */
export function attemptDurationMs(job: Job): number {
  return (job.finishedOn ?? Date.now()) - (job.processedOn ?? job.timestamp);
}

/** An ingest job's logger: the queue, the job and (for articles) the posts on every line. */
function jobLogger(logger: Logger, queue: string, job: Job<IngestQueueData> | undefined): Logger {
  return logger.child({ queue, jobId: job?.id, ...postsNamed(job) });
}

/**
 * One JSON line per job state change (SPEC §8), each naming the queue, the job and the post,
 * so an operator can follow one article from `job.added` to `job.completed` with grep.
 * Canaries are logged at debug: they run every interval and are not the operator's news.
 */
export function logJobLifecycle(worker: IngestWorker, logger: Logger): void {
  const queue = worker.name;
  const levelOf = (job: Job<IngestQueueData> | undefined) =>
    job && isCanary(job.data) ? 'debug' : 'info';
  // The child logger is made only for a line that will be written: at warn, as a busy worker
  // may run, two children a job were a measurable share of its CPU.
  worker.on('active', (job) => {
    const level = levelOf(job);
    if (!logger.isLevelEnabled(level)) return;
    jobLogger(logger, queue, job)[level]({ event: 'job.active' }, 'job active');
  });
  worker.on('completed', (job, result) => {
    const level = levelOf(job);
    if (!logger.isLevelEnabled(level)) return;
    jobLogger(logger, queue, job)[level](
      { event: 'job.completed', ...outcomeOf(result), durationMs: attemptDurationMs(job) },
      'job completed',
    );
  });
  worker.on('failed', (job, err) => {
    const final = isFinalFailure(job, err);
    jobLogger(logger, queue, job)[final ? 'error' : 'warn'](
      { event: 'job.failed', attemptsMade: job?.attemptsMade ?? 0, final, err },
      final ? 'job failed for good' : 'job failed; it will be retried',
    );
  });
  worker.on('stalled', (jobId) => {
    logger
      .child({ queue, jobId })
      .warn({ event: 'job.stalled' }, 'job stalled; it will be retried');
  });
}
