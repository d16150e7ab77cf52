import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/**
 * Gives every request its own logger, `req.log`: a child of the process's logger bound to a
 * `reqId` (a random UUID), which the routes and the error handler log through, so every line of
 * one request carries the same id. pino-http is the pino project's middleware for Node's HTTP
 * server: it binds the id once per request and times the response.
 *
 * Logs no more than before at info: each request's own line (`http.request`: method, url, status,
 * responseTime) is at debug, and failures are the error handler's lines. The child logger carries
 * only the id (`quietReqLogger`), never the request's headers, and the process's logger redacts
 * `authorization` and cookies wherever they appear (REDACTED_PATHS).
 */
export function requestLogger(logger: Logger): RequestHandler {
  const line = (
    req: { method?: string; url?: string },
    res: { statusCode: number },
    val: { responseTime: number },
  ) => ({
    event: 'http.request',
    method: req.method,
    url: req.url,
    status: res.statusCode,
    responseTime: val.responseTime,
  });
  return pinoHttp({
    logger,
    genReqId: () => randomUUID(),
    quietReqLogger: true,
    quietResLogger: true,
    customLogLevel: () => 'debug',
    customSuccessObject: line,
    customErrorObject: (req, res, _err, val: { responseTime: number }) => line(req, res, val),
    customSuccessMessage: () => 'request finished',
    customErrorMessage: () => 'request finished',
  });
}
