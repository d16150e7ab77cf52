import type { RequestHandler } from 'express';
import type { RedisClient } from '../../shared/infra/redis.js';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { appError } from '../../shared/infra/errors.js';
import type { CallerLocals } from './auth.js';
import { redisUnavailable } from './unavailable.js';

/**
 * Per-token request budget over a one-minute window, kept in Redis so every server node
 * draws on the same budget. Runs after the token check, which sets `callerKey`.
 */
export function limitRequestsPerToken(
  redis: RedisClient,
  keyPrefix: string,
  perMinute: number,
): RequestHandler {
  if (perMinute === 0)
    return (_req, _res, next) => {
      next();
    };
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix,
    points: perMinute,
    duration: 60,
  });
  return (_req, res, next) => {
    const key = (res.locals as CallerLocals).callerKey ?? 'anonymous';
    limiter.consume(key).then(
      () => {
        next();
      },
      (rejection: unknown) => {
        if (rejection instanceof RateLimiterRes) {
          const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
          res.set('Retry-After', String(seconds));
          next(appError('rate_limited', { limit: 'token', retryInSeconds: seconds }));
        } else {
          res.set('Retry-After', '2');
          next(redisUnavailable(rejection));
        }
      },
    );
  };
}
