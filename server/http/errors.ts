import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, appError } from '../../shared/infra/errors.js';
import { isConnectionError, type RedisHealth } from '../../shared/infra/redis-health.js';
import { redisUnavailable } from './unavailable.js';

/** What body-parser, raw-body and the router attach to the errors they raise (http-errors). */
interface HttpLayerError {
  type?: string;
  status?: number;
  expose?: boolean;
  limit?: number;
  encoding?: string;
  charset?: string;
  code?: string;
  message?: string;
}

function httpLayerError(err: unknown): HttpLayerError | undefined {
  return typeof err === 'object' && err !== null ? err : undefined;
}

/**
 * A request the HTTP layer could not read (its path or its body), as an answer the client can act
 * on; undefined for anything else. These are the client's mistakes, never a 500.
 */
function unreadableRequest(err: unknown, path: string): AppError | undefined {
  // Express's router, when a path parameter is not valid percent-encoded UTF-8 (`/api/sources/%`).
  if (err instanceof URIError) return appError('invalid_path');
  const layer = httpLayerError(err);
  switch (layer?.type) {
    case 'entity.too.large':
      return appError('payload_too_large', {
        limitBytes: layer.limit ?? 0,
        articles: path === '/api/articles',
      });
    case 'entity.parse.failed':
      return appError('invalid_json');
    case 'encoding.unsupported':
      return appError('unsupported_encoding', { encoding: layer.encoding ?? '?' });
    case 'charset.unsupported':
      return appError('unsupported_charset', { charset: layer.charset ?? '?' });
    case 'request.aborted':
      return appError('request_aborted');
    case 'request.size.invalid':
      return appError('invalid_body', { problem: 'length' });
  }
  // zlib, when a body said to be compressed is not (or is cut off).
  if (layer?.status === 400 && layer.code?.startsWith('Z_')) {
    return appError('invalid_body', { problem: 'compression' });
  }
  // Any other client error the HTTP layer raised; its message is meant to be shown.
  if (layer?.expose === true && layer.status !== undefined && layer.status < 500) {
    return appError('bad_request', {
      problem: layer.message ?? 'unknown problem',
      status: layer.status,
    });
  }
  return undefined;
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(appError('not_found', { route: `${req.method} ${req.path}` }));
};

function knownError(err: unknown, path: string): AppError | undefined {
  if (err instanceof AppError) return err;
  // First: a client that hangs up raises ECONNABORTED too, which is not Redis going away.
  const unreadable = unreadableRequest(err, path);
  if (unreadable) return unreadable;
  // A route that reached Redis without orUnavailable still owes the client a 503, not a 500.
  if (isConnectionError(err)) return redisUnavailable(err);
  return undefined;
}

/**
 * Every error leaves as SPEC §5's JSON; causes and stacks go to the log (the request's logger,
 * with its reqId), never to the client. A 503 because Redis cannot be reached is not a bug of
 * this request: `health` reports the outage once for the whole process, so it gets no line of
 * its own.
 */
export function errorHandler(health: RedisHealth): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const answer = knownError(err, req.path) ?? appError('internal_error');
    if (!(err instanceof AppError) && answer.status < 500) {
      // The HTTP layer could not read the request: a client's mistake or its hang-up is worth a
      // line, never an error line.
      const aborted = answer.code === 'request_aborted';
      req.log[aborted ? 'debug' : 'warn'](
        {
          event: aborted ? 'http.aborted' : 'http.bad_request',
          method: req.method,
          path: req.path,
          status: answer.status,
          error: answer.code,
        },
        aborted ? 'request abandoned by the client' : 'request could not be read',
      );
    }
    const outage =
      answer.code === 'redis_unavailable' && health.absorb('http', answer.cause ?? err);
    if (answer.status >= 500 && !outage) {
      req.log.error(
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
