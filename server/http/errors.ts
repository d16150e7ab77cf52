import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../../shared/infra/errors.js';
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

/** `16384` → `16 KiB`, `1048576` → `1 MiB`. */
function size(bytes: number): string {
  return bytes >= 1 << 20 && bytes % (1 << 20) === 0
    ? `${bytes / (1 << 20)} MiB`
    : `${Math.round(bytes / 1024)} KiB`;
}

/**
 * A request the HTTP layer could not read (its path or its body), as an answer the client can act
 * on; undefined for anything else. These are the client's mistakes, never a 500.
 */
function unreadableRequest(err: unknown, path: string): AppError | undefined {
  // Express's router, when a path parameter is not valid percent-encoded UTF-8 (`/api/sources/%`).
  if (err instanceof URIError) {
    return new AppError(
      400,
      'invalid_path',
      'The path is not valid percent-encoded UTF-8: encode each byte of an id as %XX.',
    );
  }
  const layer = httpLayerError(err);
  switch (layer?.type) {
    case 'entity.too.large':
      return new AppError(
        413,
        'payload_too_large',
        `The body is over ${size(layer.limit ?? 0)}, the most this endpoint takes: ${path === '/api/articles' ? 'send fewer articles per request' : 'send a smaller body'}.`,
      );
    case 'entity.parse.failed':
      return new AppError(
        400,
        'invalid_json',
        'The body is not valid JSON: check quotes, commas and brackets.',
      );
    case 'encoding.unsupported':
      return new AppError(
        415,
        'unsupported_encoding',
        `Content-Encoding "${layer.encoding ?? '?'}" is not supported: send the body as it is, or with gzip, deflate or br.`,
      );
    case 'charset.unsupported':
      return new AppError(
        415,
        'unsupported_charset',
        `The charset "${layer.charset ?? '?'}" is not supported: send the JSON as UTF-8.`,
      );
    case 'request.aborted':
      return new AppError(
        400,
        'request_aborted',
        'The request ended before its whole body arrived.',
      );
    case 'request.size.invalid':
      return new AppError(
        400,
        'invalid_body',
        'The body is not as long as its Content-Length says: send it again whole.',
      );
  }
  // zlib, when a body said to be compressed is not (or is cut off).
  if (layer?.status === 400 && layer.code?.startsWith('Z_')) {
    return new AppError(
      400,
      'invalid_body',
      'The body is not valid gzip, deflate or br data as its Content-Encoding says: send it whole, or uncompressed.',
    );
  }
  // Any other client error the HTTP layer raised; its message is meant to be shown.
  if (layer?.expose === true && layer.status !== undefined && layer.status < 500) {
    return new AppError(
      layer.status,
      'bad_request',
      `The request could not be read: ${layer.message ?? 'unknown problem'}.`,
    );
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
 * Every error leaves as SPEC §5's JSON; causes and stacks go to the log, never to the client.
 * A 503 because Redis cannot be reached is not a bug of this request: `health` reports the
 * outage once for the whole process, so it gets no line of its own.
 */
export function errorHandler(logger: Logger, health: RedisHealth): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const answer =
      knownError(err, req.path) ??
      new AppError(500, 'internal_error', 'Something went wrong on our side; please retry.');
    if (!(err instanceof AppError) && answer.status < 500) {
      // The HTTP layer could not read the request: a client's mistake or its hang-up is worth a
      // line, never an error line.
      const aborted = answer.code === 'request_aborted';
      logger[aborted ? 'debug' : 'warn'](
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
