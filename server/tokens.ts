import { createHash, timingSafeEqual } from 'node:crypto';

/** Hashing first gives equal-length buffers, so comparing leaks neither content nor length. */
const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

/**
 * A set of secrets (INGEST_TOKENS, NEWSROOM_TOKENS, METRICS_TOKEN) that a caller's token is
 * checked against, for HTTP and for Socket.IO handshakes alike. Only digests are kept.
 */
export interface TokenSet {
  /** How many tokens there are; 0 means the door is closed, whatever a caller sends. */
  readonly size: number;
  /** True when `candidate` is one of the tokens; every one is compared, in constant time each. */
  matches(candidate: string): boolean;
}

export function createTokenSet(tokens: readonly string[]): TokenSet {
  const digests = tokens.map(digest);
  return {
    size: digests.length,
    matches(candidate) {
      const given = digest(candidate);
      let found = false;
      for (const token of digests) found = timingSafeEqual(given, token) || found;
      return found;
    },
  };
}

/** The token of an `Authorization: Bearer <token>` header, if that is what it holds. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

/** A short, stable, non-secret name for a token: what rate limits count by. */
export function tokenKey(token: string): string {
  return digest(token).toString('hex').slice(0, 24);
}
