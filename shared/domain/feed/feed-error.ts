import type { PollErrorCode } from '../../infra/errors.js';
/**
 * Why a document could not be read as a feed: `not_a_feed` when it is something else (an HTML
 * page, binary data, another XML vocabulary), `malformed` when it is a feed too broken to recover
 * (cut off before any item, invalid JSON). The message says what to check.
 */
export class FeedError extends Error {
  constructor(
    readonly code: PollErrorCode<'parse'>,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FeedError';
  }
}

/** The `not_a_feed` error for a document that is `what` (an HTML page, binary data, …). */
export function notAFeed(what: string, cause?: unknown): FeedError {
  return new FeedError(
    'not_a_feed',
    `The document is ${what}, not an RSS, Atom, RDF or JSON feed; check that the URL points to the feed itself (a site's page usually links it with <link rel="alternate" type="application/rss+xml">).`,
    { cause },
  );
}
