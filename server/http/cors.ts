import cors from 'cors';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

/** CORS_ORIGINS: `*`, or the listed origins. */
type Origins = '*' | readonly string[];

/** Who may read what anyone may read: the public socket and `/api/posts` follow CORS_ORIGINS. */
const publicOrigin = (origins: Origins): '*' | string[] => (origins === '*' ? '*' : [...origins]);

/**
 * Which browser pages may call the HTTP API (CORS_ORIGINS), with the `cors` middleware that
 * Express apps use. The public reads (`/api/posts`, `/api/channels`) follow CORS_ORIGINS as
 * the public socket does, `*` included. The token-guarded API is only ever open to the
 * listed origins: with `*`, no page on another origin may send an editor's token, as on the
 * newsroom socket. Preflights are answered before any token check.
 */
export function corsFor(origins: Origins): {
  publicReads: RequestHandler;
  guarded: RequestHandler;
} {
  return {
    publicReads: cors({ origin: publicOrigin(origins), methods: ['GET'] }),
    guarded: cors({
      origin: origins === '*' ? false : [...origins],
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      maxAge: 600,
    }),
  };
}

/**
 * CORS for the public socket's long-polling requests, as engine.io middleware (`io.engine.use`),
 * following CORS_ORIGINS as the public reads do. A websocket upgrade is not subject to CORS: a
 * browser sends no preflight for it and reads no Access-Control header of a 101. So it skips
 * the policy, which Socket.IO's own `cors` option runs on every upgrade too (in the bench's
 * reconnect storm, 2% of the server's samples for headers nobody reads).
 */
export function pollingCors(
  origins: Origins,
): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void {
  const policy = cors({ origin: publicOrigin(origins) });
  return (req, res, next) => {
    if (req.headers.upgrade !== undefined) next();
    else policy(req, res, next);
  };
}
