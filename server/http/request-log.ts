import { randomUUID } from 'node:crypto';
import type { Express, Request, RequestHandler } from 'express';
import type { Level, Logger } from 'pino';

declare global {
  // Express's own extension point for what middleware adds to a request.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** This request's logger: a child of the process's, bound to a `reqId` (a random UUID). */
      readonly log: Logger;
      /** Whether `req.log` writes lines at `level`, without making it. */
      logsAt(level: Level): boolean;
    }
  }
}

/**
 * Gives every request of `app` its own logger, `req.log`, which the routes and the error handler
 * log through, so every line of one request carries the same `reqId`. The logger is made the
 * first time it is used: most requests write no line at info (a POST /api/articles writes one
 * per job; a read, none), and a child logger, its UUID and its bindings cost a request about as
 * much as normalising an article (measured with `npm run bench -- --only ingest`, CPU profiles).
 * So it is a getter on the app's request prototype, not something each request carries.
 *
 * Logs no more than before at info: each request's own line (`http.request`: method, url,
 * status, responseTime) is at debug, and failures are the error handler's lines. The child
 * carries only the id, never the request's headers, and the process's logger redacts
 * `authorization` and cookies wherever they appear (REDACTED_PATHS).
 */
export function requestLogger(app: Express, logger: Logger): RequestHandler {
  const loggers = new WeakMap<Request, Logger>();
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: Request): Logger {
      let log = loggers.get(this);
      if (!log) loggers.set(this, (log = logger.child({ reqId: randomUUID() })));
      return log;
    },
  });
  // A route that writes a line per item at info (a batch's `job.added`) asks first: at warn,
  // asking would otherwise make the logger for nothing.
  Object.defineProperty(app.request, 'logsAt', {
    configurable: true,
    value: (level: Level): boolean => logger.isLevelEnabled(level),
  });
  return (req, res, next) => {
    if (logger.isLevelEnabled('debug')) {
      const started = performance.now();
      res.once('finish', () => {
        req.log.debug(
          {
            event: 'http.request',
            method: req.method,
            url: req.originalUrl,
            status: res.statusCode,
            responseTime: Math.round(performance.now() - started),
          },
          'request finished',
        );
      });
    }
    next();
  };
}
