import type { RequestHandler } from 'express';
import { appError } from '../../shared/infra/errors.js';
import { bearerToken, createTokenSet, tokenKey } from '../tokens.js';

/**
 * Bearer-token guard. `variable` names where the tokens come from, for the messages. With no
 * tokens configured (production without them) the guarded API is switched off: 503, whatever
 * the request carries.
 */
export function requireBearerToken(tokens: readonly string[], variable: string): RequestHandler {
  const allowed = createTokenSet(tokens);
  return (req, res, next) => {
    if (allowed.size === 0) {
      next(appError('write_api_disabled', { variable }));
      return;
    }
    const token = bearerToken(req.get('authorization'));
    if (token === undefined) {
      next(appError('unauthorized', { variable }));
      return;
    }
    if (!allowed.matches(token)) {
      next(appError('forbidden', { variable }));
      return;
    }
    // Rate limits count per token; they see a digest of it, never the token itself.
    (res.locals as CallerLocals).callerKey = tokenKey(token);
    next();
  };
}

export interface CallerLocals {
  callerKey?: string;
}
