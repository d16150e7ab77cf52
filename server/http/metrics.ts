import { Router } from 'express';
import { appError } from '../../shared/infra/errors.js';
import type { ServerMetrics } from '../metrics.js';
import { bearerToken, createTokenSet } from '../tokens.js';
import { orUnavailable } from './unavailable.js';

/** `GET /metrics`: Prometheus text; behind `METRICS_TOKEN` (Bearer) when that is set. */
export function metricsRouter(metrics: ServerMetrics, token: string | undefined): Router {
  const router = Router();
  const allowed = token === undefined ? undefined : createTokenSet([token]);
  router.get('/metrics', async (req, res) => {
    if (allowed) {
      const given = bearerToken(req.get('authorization'));
      if (given === undefined || !allowed.matches(given)) {
        throw appError('unauthorized', { variable: 'METRICS_TOKEN' });
      }
    }
    const text = await orUnavailable(metrics.registry.metrics());
    res.set('Content-Type', metrics.registry.contentType).send(text);
  });
  return router;
}
