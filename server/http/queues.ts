import type express from 'express';
import { Router } from 'express';
import type { RedisClient } from '../../shared/infra/redis.js';
import type { Keys } from '../../shared/domain/keys.js';
import type { QueueHistoryAnswer } from '../../shared/contract/http.js';
import { readQueueHistory } from '../../shared/domain/queue-history.js';
import { orUnavailable } from './unavailable.js';

/**
 * `GET /api/queues`: each queue's figures over the last five minutes (shared/domain/queue-history.ts),
 * so a dashboard draws its charts as soon as it opens instead of filling them 5 s at a time.
 */
export interface QueuesRouteDeps {
  redis: RedisClient;
  keys: Keys;
  /** The queues' names, in the order the answer lists them. */
  queues: readonly string[];
  /** Runs first: an ingest or a newsroom token, then the rate limit. */
  guard: express.RequestHandler[];
  now?: () => number;
}

export function queuesRouter(deps: QueuesRouteDeps): Router {
  const { redis, keys, queues, guard, now = Date.now } = deps;
  const router = Router();
  router.get('/api/queues', ...guard, async (_req, res) => {
    const at = now();
    res.json({
      serverTime: new Date(at).toISOString(),
      queues: await orUnavailable(readQueueHistory(redis, keys, queues, at)),
    } satisfies QueueHistoryAnswer);
  });
  return router;
}
