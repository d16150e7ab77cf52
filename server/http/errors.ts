import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../../shared/errors.js';
import { isConnectionError, type RedisHealth } from '../../shared/redis-health.js';
import { redisUnavailable } from './unavailable.js';

/** body-parser's error types, mapped to answers a producer can act on. */
const BODY_ERRORS: Record<string, () => AppError> = {
  'entity.too.large': () =>
    new AppError(
      413,
      'payload_too_large',
      'The body is over 1 MiB: send fewer articles per request.',
    ),
  'entity.parse.failed': () =>
    new AppError(
      400,
      'invalid_json',
      'The body is not valid JSON: check quotes, commas and brackets.',
    ),
  'encoding.unsupported': () =>
    new AppError(415, 'unsupported_encoding', 'Send the body as UTF-8 JSON.'),
  'charset.unsupported': () =>
    new AppError(415, 'unsupported_encoding', 'Send the body as UTF-8 JSON.'),
};

function bodyErrorType(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'type' in err && typeof err.type === 'string') {
    return err.type;
  }
  return undefined;
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(
    new AppError(
      404,
      'not_found',
      `There is no ${req.method} ${req.path}; see the API in README.md.`,
    ),
  );
};

function knownError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  // A route that reached Redis without orUnavailable still owes the client a 503, not a 500.
  if (isConnectionError(err)) return redisUnavailable(err);
  return BODY_ERRORS[bodyErrorType(err) ?? '']?.();
}

/**
 * Every error leaves as SPEC §5's JSON; causes and stacks go to the log, never to the client.
 * A 503 because Redis cannot be reached is not a bug of this request: `health` reports the
 * outage once for the whole process, so it gets no line of its own.
 */
export function errorHandler(logger: Logger, health: RedisHealth): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const answer =
      knownError(err) ??
      new AppError(500, 'internal_error', 'Something went wrong on our side; please retry.');
    const outage =
      answer.code === 'redis_unavailable' && health.absorb('http', answer.cause ?? err);
    if (answer.status >= 500 && !outage) {
      logger.error(
        {
          event: 'http.error',
          method: req.method,
          path: req.path,
          status: answer.status,
          err: answer.cause ?? err,
        },
        'request failed',
      );
    }
    if (answer.status === 503 && !res.get('Retry-After')) res.set('Retry-After', '2');
    res.status(answer.status).json(answer);
  };
}
