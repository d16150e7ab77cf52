import { Router, type Request, type RequestHandler } from 'express';
import { normalizeArticle } from '../../shared/domain/article/normalize.js';
import type { DemoSampleAccepted } from '../../shared/contract/http.js';
import { appError } from '../../shared/infra/errors.js';
import { addIngestJob, type IngestQueue } from '../../shared/domain/ingest-queue.js';
import type { NewsroomMessage } from '../../shared/domain/newsroom-events.js';
import { sampleArticle } from './demo-samples.js';
import { orUnavailable } from './unavailable.js';

export interface DemoRouteDeps {
  queue: IngestQueue;
  /** In production nothing is mounted: `POST /api/demo/sample` is a 404. */
  production: boolean;
  /** Tells the dashboards what was accepted, as `POST /api/articles` does; must not throw or wait. */
  announce?: (messages: readonly NewsroomMessage[]) => void;
  now?: () => number;
  /** Minimum time between two publishes from one IP address (default 1000 ms). */
  intervalMs?: number;
}

/** Past this many remembered addresses, the ones whose interval is over are forgotten. */
const MAX_TRACKED = 10_000;

/** At most one request per `intervalMs` per client address, in memory (one server node). */
function onePerInterval(intervalMs: number, now: () => number): RequestHandler {
  const lastAt = new Map<string, number>();
  const addressOf = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';
  return (req, res, next) => {
    const at = now();
    if (lastAt.size >= MAX_TRACKED) {
      for (const [address, when] of lastAt) if (at - when >= intervalMs) lastAt.delete(address);
    }
    const address = addressOf(req);
    const previous = lastAt.get(address);
    if (previous !== undefined && at - previous < intervalMs) {
      const seconds = Math.max(1, Math.ceil((previous + intervalMs - at) / 1000));
      res.set('Retry-After', String(seconds));
      next(appError('rate_limited', { limit: 'demo', retryInSeconds: seconds }));
      return;
    }
    lastAt.set(address, at);
    next();
  };
}

/**
 * The demo page's "Publish a sample article" button and the `npm run demo` publisher:
 * `POST /api/demo/sample` queues the next sample article exactly as `POST /api/articles` would,
 * without a token (it can only send the fixed samples), outside production only.
 */
export function demoRouter(deps: DemoRouteDeps): Router {
  const { queue, production, announce, now = Date.now, intervalMs = 1000 } = deps;
  const router = Router();
  if (production) return router;

  let published = 0;
  router.post('/api/demo/sample', onePerInterval(intervalMs, now), async (req, res) => {
    const acceptedAt = now();
    const index = published++;
    const input = sampleArticle(index);
    const result = normalizeArticle(input, acceptedAt);
    if (!result.ok) {
      throw appError('internal_error', { sampleArticle: true });
    }
    const { article } = result;
    const job = await orUnavailable(addIngestJob(queue, { article, acceptedAt, source: 'demo' }));
    const jobId = job.id ?? '';
    req.log.info(
      { event: 'job.added', queue: queue.name, jobId, postId: article.id, source: 'demo' },
      'job added',
    );
    announce?.([
      {
        type: 'ingest:accepted',
        payload: { id: article.id, jobId, source: 'demo', title: article.title },
      },
    ]);
    res.status(202).json({
      accepted: [{ id: article.id, jobId, channels: article.channels, title: article.title }],
    } satisfies DemoSampleAccepted);
  });
  return router;
}
