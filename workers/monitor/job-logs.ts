import type { Job, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { IngestJobData, IngestJobResult } from '../../shared/ingest-queue.js';

type IngestWorker = Worker<IngestJobData, IngestJobResult>;

function postIdOf(job: Job<IngestJobData> | undefined): string | undefined {
  return job?.data.article.id;
}

/**
 * One JSON line per job state change (SPEC §8), each naming the queue, the job and the post,
 * so an operator can follow one article from `job.added` to `job.completed` with grep.
 */
export function logJobLifecycle(worker: IngestWorker, logger: Logger): void {
  const queue = worker.name;
  worker.on('active', (job) => {
    logger.info({ event: 'job.active', queue, jobId: job.id, postId: postIdOf(job) }, 'job active');
  });
  worker.on('completed', (job, result) => {
    const durationMs = (job.finishedOn ?? Date.now()) - (job.processedOn ?? job.timestamp);
    logger.info(
      {
        event: 'job.completed',
        queue,
        jobId: job.id,
        postId: result.postId,
        status: result.status,
        events: result.events,
        durationMs,
      },
      'job completed',
    );
  });
  worker.on('failed', (job, err) => {
    const attempts = job?.opts.attempts ?? 1;
    const attemptsMade = job?.attemptsMade ?? 0;
    const final = err.name === 'UnrecoverableError' || attemptsMade >= attempts;
    logger[final ? 'error' : 'warn'](
      {
        event: 'job.failed',
        queue,
        jobId: job?.id,
        postId: postIdOf(job),
        attemptsMade,
        final,
        err,
      },
      final ? 'job failed for good' : 'job failed; it will be retried',
    );
  });
  worker.on('stalled', (jobId) => {
    logger.warn({ event: 'job.stalled', queue, jobId }, 'job stalled; it will be retried');
  });
  worker.on('error', (err) => {
    logger.error({ event: 'worker.error', queue, err }, 'worker error');
  });
}
