import express, { Router } from 'express';
import { normalizeArticle, type NormalizedArticle } from '../../shared/domain/article/normalize.js';
import { POST_ID_PATTERN } from '../../shared/domain/article/post-id.js';
import type { ChannelLog } from '../../shared/domain/channel-log.js';
import type { ArticleRejection, ArticlesAccepted } from '../../shared/contract/http.js';
import { appError, type AppError, type ErrorDetail } from '../../shared/infra/errors.js';
import {
  addIngestJob,
  type IngestJobData,
  type IngestQueue,
} from '../../shared/domain/ingest-queue.js';
import type { NewsroomMessage } from '../../shared/domain/newsroom-events.js';
import type { ReplicaBarrier } from '../../shared/infra/replica-barrier.js';
import type { AcceptedJournal } from './accepted-journal.js';
import { splitBatch } from './article-batch.js';
import { createGroupCommit } from './group-commit.js';
import { orUnavailable } from './unavailable.js';

export interface ArticlesRouteDeps {
  queue: IngestQueue;
  /** A 202 waits until the jobs reached REDIS_MIN_REPLICAS replicas (on the queue's connection). */
  replicas: ReplicaBarrier;
  /** Keeps what was answered 202, to queue again after a failover. */
  journal?: AcceptedJournal;
  channelLog: ChannelLog;
  /** Runs first on every write: token check, then rate limit. */
  guard: express.RequestHandler[];
  /** Runs first on a retraction: an ingest or a newsroom token (editors retract from the dashboard). */
  removeGuard: express.RequestHandler[];
  /** Tells the dashboards what was accepted and rejected; must not throw or wait. */
  announce?: (messages: readonly NewsroomMessage[]) => void;
  /** Counts articles accepted and rejected (metrics). */
  count?: { accepted: (n: number) => void; rejected: (n: number) => void };
  now?: () => number;
}

const requireJson: express.RequestHandler = (req, _res, next) => {
  if (req.is('application/json')) next();
  else next(appError('unsupported_media_type'));
};

/** An article's problems, their paths as they stand in a batch (`articles[2].title`). */
function inBatch(index: number, details: ErrorDetail[]): ErrorDetail[] {
  return details.map((d) => ({
    path: d.path ? `articles[${index}].${d.path}` : `articles[${index}]`,
    message: d.message,
  }));
}

function rejectedAnswer(rejected: ArticleRejection[], batch: boolean): AppError {
  if (!batch) return appError('invalid_article', { details: rejected[0]?.details ?? [] });
  return appError('invalid_articles', {
    rejected: rejected.length,
    details: rejected.flatMap(({ index, details: list }) => inBatch(index, list)),
  });
}

export function articlesRouter(deps: ArticlesRouteDeps): Router {
  const { queue, replicas, journal, channelLog, guard, removeGuard, announce, count } = deps;
  const now = deps.now ?? Date.now;
  const router = Router();
  const singles = createGroupCommit(queue, { source: 'api' });

  router.post(
    '/api/articles',
    ...guard,
    requireJson,
    express.json({ limit: '1mb', type: () => true, strict: false }),
    async (req, res) => {
      const items = splitBatch(req.body);
      const batch = typeof req.body === 'object' && req.body !== null && 'articles' in req.body;
      const acceptedAt = now();
      const articles: NormalizedArticle[] = [];
      const rejected: ArticleRejection[] = [];
      items.forEach((item, index) => {
        const result = normalizeArticle(item, acceptedAt);
        if (result.ok) articles.push(result.article);
        else rejected.push({ index, error: 'invalid_article', details: result.details });
      });
      for (const r of rejected) {
        req.log.info(
          { event: 'ingest.rejected', source: 'api', index: r.index, details: r.details },
          'article rejected',
        );
      }
      count?.rejected(rejected.length);
      announce?.(
        rejected.map(({ index, error, details }) => ({
          type: 'ingest:rejected',
          payload: {
            source: 'api',
            error,
            details: batch ? inBatch(index, details) : details,
          },
        })),
      );
      if (articles.length === 0) throw rejectedAnswer(rejected, batch);

      const written = replicas.mark();
      // A batch is stored by one job of its own, in its order (BATCH_JOB), so BullMQ's cost of
      // a job is paid once a POST, and the batch is queued whole or not at all. A single article
      // shares its job with those accepted while the previous add was in flight (group-commit.ts).
      const [single] = articles.length === 1 ? articles : [];
      const data: IngestJobData = single
        ? { article: single, acceptedAt, source: 'api' }
        : { articles, acceptedAt, source: 'api' };
      const job = await orUnavailable(
        single ? singles.add(single, acceptedAt) : addIngestJob(queue, data),
      );
      // Only what a replica holds survives a failover: until then the job is not accepted. A
      // retry is safe: the post id and content hash make a second job of the same article a no-op.
      if (!(await orUnavailable(replicas.reached(written)))) {
        req.log.warn(
          { event: 'ingest.unreplicated', jobId: job.id, replicas: replicas.replicas },
          'the job did not reach enough replicas in time; answered 503',
        );
        throw appError('replicas_unreached', { replicas: replicas.replicas });
      }
      const jobId = job.id ?? '';
      const accepted = articles.map(({ id }) => ({ id, jobId }));
      journal?.record([data]);
      if (req.logsAt('info')) {
        for (const { id, jobId } of accepted) {
          req.log.info(
            { event: 'job.added', queue: queue.name, jobId, postId: id, source: 'api' },
            'job added',
          );
        }
      }
      count?.accepted(accepted.length);
      announce?.(
        accepted.map(({ id, jobId }, i) => ({
          type: 'ingest:accepted',
          payload: { id, jobId, source: 'api', title: articles[i]?.title ?? '' },
        })),
      );
      res.status(202).json({ accepted, rejected } satisfies ArticlesAccepted);
    },
  );

  router.delete('/api/articles/:id', ...removeGuard, async (req, res) => {
    const id = typeof req.params.id === 'string' ? req.params.id : '';
    const notFound = appError('not_found', { post: id });
    if (!POST_ID_PATTERN.test(id)) throw notFound;
    for (let attempt = 0; attempt < 5; attempt++) {
      const stored = await orUnavailable(channelLog.read(id));
      if (!stored) throw notFound;
      const outcome = await orUnavailable(channelLog.remove(stored));
      if (outcome.status === 'missing') throw notFound;
      if (outcome.status === 'removed') {
        req.log.info(
          { event: 'post.removed', postId: id, channels: stored.post.channels },
          'post removed',
        );
        res.status(204).end();
        return;
      }
    }
    throw appError('conflict');
  });

  return router;
}
