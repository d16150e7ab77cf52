import cors from 'cors';
import type { RequestHandler } from 'express';

/**
 * Which browser pages may call the HTTP API (CORS_ORIGINS), with the `cors` middleware that
 * Express apps use. The public reads (`/api/posts`, `/api/channels`) follow CORS_ORIGINS as
 * the public socket does, `*` included. The token-guarded API is only ever open to the
 * listed origins: with `*`, no page on another origin may send an editor's token, as on the
 * newsroom socket. Preflights are answered before any token check.
 */
export function corsFor(origins: '*' | readonly string[]): {
  publicReads: RequestHandler;
  guarded: RequestHandler;
} {
  return {
    publicReads: cors({ origin: origins === '*' ? '*' : [...origins], methods: ['GET'] }),
    guarded: cors({
      origin: origins === '*' ? false : [...origins],
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      maxAge: 600,
    }),
  };
}
