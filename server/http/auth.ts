import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../../shared/errors.js';

/** Hashing first gives equal-length buffers, so comparing leaks neither content nor length. */
const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

/** True when `candidate` is one of `tokens`; every token is compared, in constant time each. */
export function tokenMatches(candidate: string, tokens: readonly Buffer[]): boolean {
  const given = digest(candidate);
  let found = false;
  for (const token of tokens) found = timingSafeEqual(given, token) || found;
  return found;
}

export function digestTokens(tokens: readonly string[]): Buffer[] {
  return tokens.map(digest);
}

/**
 * Bearer-token guard for the write API. With no tokens configured (production without
 * INGEST_TOKENS) the write API is switched off: 503, whatever the request carries.
 */
export function requireBearerToken(tokens: readonly string[], variable: string): RequestHandler {
  const digests = digestTokens(tokens);
  return (req, res, next) => {
    if (digests.length === 0) {
      next(
        new AppError(
          503,
          'write_api_disabled',
          `The write API is off: set ${variable} to enable it.`,
        ),
      );
      return;
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!match) {
      next(
        new AppError(
          401,
          'unauthorized',
          'Send your ingest token as "Authorization: Bearer <token>".',
        ),
      );
      return;
    }
    if (!tokenMatches(match[1] as string, digests)) {
      next(new AppError(403, 'forbidden', `That token is not allowed here; check ${variable}.`));
      return;
    }
    // Rate limits count per token; they see a digest of it, never the token itself.
    (res.locals as CallerLocals).callerKey = digest(match[1] as string)
      .toString('hex')
      .slice(0, 24);
    next();
  };
}

export interface CallerLocals {
  callerKey?: string;
}
