import type express from 'express';
import { Router } from 'express';
import { z } from 'zod';
import { appError } from '../../shared/infra/errors.js';
import {
  articlesOf,
  isCanary,
  type IngestQueue,
  type IngestQueueJob,
} from '../../shared/domain/ingest-queue.js';
import type { FailedJob, FailedJobsAnswer, JobRetried } from '../../shared/contract/http.js';
import { parseOr400 } from '../validation.js';
import { orUnavailable } from './unavailable.js';

/**
 * Failed ingest jobs for the dashboard: list them, retry one, or drop one (SPEC §5 via issue 6).
 * Only failed jobs are touched: a waiting or active job is an article on its way, and dropping
 * it would lose it.
 */
export interface JobsRouteDeps {
  queue: IngestQueue;
  /** Runs first: ingest or newsroom token, then the rate limit. */
  guard: express.RequestHandler[];
}

/** BullMQ's own ids are counters; anything else is not one of ours. */
export const JOB_ID = /^[A-Za-z0-9:_-]{1,64}$/;

/** `GET /api/jobs` query; exported for the API description (server/http/openapi/). */
export const jobsQuery = z.object({
  state: z
    .literal('failed', { error: 'state must be "failed": only failed jobs are listed' })
    .default('failed'),
  limit: z.coerce
    .number({ error: 'limit must be a number from 1 to 100, such as limit=50' })
    .int('limit must be a whole number from 1 to 100, such as limit=50')
    .min(1, 'limit must be at least 1, such as limit=50')
    .max(100, 'limit must be at most 100, such as limit=50')
    .default(50),
});

function describeFailed(job: IngestQueueJob): FailedJob {
  const view: FailedJob = {
    id: job.id ?? '',
    source: isCanary(job.data) ? 'canary' : job.data.source,
    error: job.failedReason || 'unknown error',
    attemptsMade: job.attemptsMade,
    failedAt: new Date(job.finishedOn ?? job.timestamp).toISOString(),
  };
  if (!isCanary(job.data)) {
    const articles = articlesOf(job.data);
    const first = articles[0];
    if (first) Object.assign(view, { postId: first.id, title: first.title, url: first.url });
    if (articles.length > 1) view.articles = articles.length;
  }
  return view;
}

export function jobsRouter({ queue, guard }: JobsRouteDeps): Router {
  const router = Router();

  /** The failed job `id`, or a 404 / 409 a person can act on. */
  async function failedJob(id: string): Promise<IngestQueueJob> {
    const job = JOB_ID.test(id) ? await orUnavailable(queue.getJob(id)) : undefined;
    if (!job) {
      throw appError('not_found', { job: id });
    }
    const state = await orUnavailable(job.getState());
    if (state !== 'failed') {
      throw appError('not_failed', { job: id, state });
    }
    return job;
  }

  /** Runs `work` on a failed job; when it fails because the job moved on meanwhile, a 409. */
  async function whileFailed(job: IngestQueueJob, work: () => Promise<unknown>): Promise<void> {
    try {
      await orUnavailable(work());
    } catch (err) {
      // Another editor retried or dropped it a moment ago, or a worker took it.
      if ((await orUnavailable(job.getState())) !== 'failed') {
        throw appError('not_failed', { job: job.id ?? '' });
      }
      throw err;
    }
  }

  router.get('/api/jobs', ...guard, async (req, res) => {
    const { limit } = parseOr400(jobsQuery, req.query, 'invalid_query');
    const jobs = await orUnavailable(queue.getJobs(['failed'], 0, limit - 1, false));
    res.json({ jobs: jobs.filter(Boolean).map(describeFailed) } satisfies FailedJobsAnswer);
  });

  router.post('/api/jobs/:id/retry', ...guard, async (req, res) => {
    const job = await failedJob(req.params.id as string);
    await whileFailed(job, () => job.retry('failed'));
    req.log.info(
      {
        event: 'job.retried',
        queue: queue.name,
        jobId: job.id,
        postId: describeFailed(job).postId,
      },
      'failed job retried',
    );
    res.status(202).json({ id: job.id ?? '', state: 'waiting' } satisfies JobRetried);
  });

  router.delete('/api/jobs/:id', ...guard, async (req, res) => {
    const job = await failedJob(req.params.id as string);
    await whileFailed(job, () => job.remove());
    req.log.info(
      {
        event: 'job.removed',
        queue: queue.name,
        jobId: job.id,
        postId: describeFailed(job).postId,
      },
      'failed job dropped',
    );
    res.status(204).end();
  });

  return router;
}
