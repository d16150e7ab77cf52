/**
 * What a URL given as a source is: a feed, or a web page that names its feed. One guarded fetch
 * (the poller's: same address policy, size cap and deadline) tells; the page's feed is not
 * fetched here, the poller does that.
 */
import { appError } from '../../infra/errors.js';
import { FeedError } from './feed-error.js';
import { FetchError } from './fetch/fetch-error.js';
import { fetchFeed, type FetchFeedOptions } from './fetch/fetch-feed.js';
import { findFeedLink } from './find-feed-link.js';
import { isBinary, sniffXml } from './sniff.js';

/** Where a source's items come from. */
export interface FeedDiscovery {
  /** The feed to poll: the URL given, or the one its page names. */
  feedUrl: string;
  /** The page the feed was found on; absent when the URL given is the feed. */
  page?: string;
}

/** The `charset` of a Content-Type, when TextDecoder knows it. */
function decoderFor(contentType: string | undefined): TextDecoder {
  const label = /;\s*charset\s*=\s*"?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  try {
    return new TextDecoder(label ?? 'utf-8');
  } catch {
    return new TextDecoder('utf-8');
  }
}

/** Whether the text is a feed by the poller's own sniffing: a JSON object, or RSS/Atom/RDF. */
function isFeed(text: string): boolean {
  // A JSON object may only be a JSON Feed here; the poller reports it if it is not one.
  if (text.startsWith('{')) return true;
  try {
    sniffXml(text);
    return true;
  } catch (error) {
    if (error instanceof FeedError) return false;
    throw error;
  }
}

/**
 * Fetches `url` once and says which feed it stands for: itself when it is a feed, else the
 * first feed its head links to (`<link rel="alternate" type="application/rss+xml">`, Atom or
 * JSON Feed). The feed a page names is not vetted here: the caller checks its address as it
 * checks any feed URL.
 *
 * @param options The fetch's limits and address policy (see {@link FetchFeedOptions}).
 * @throws AppError `page_unreachable` when the fetch fails (timeout, HTTP error, too large,
 *   refused address), `no_feed_found` when the document is neither a feed nor a page naming one.
 */
export async function discoverFeed(
  url: string,
  options: FetchFeedOptions = {},
): Promise<FeedDiscovery> {
  let fetched;
  try {
    fetched = await fetchFeed(url, options);
  } catch (error) {
    if (!(error instanceof FetchError)) throw error;
    throw appError('page_unreachable', { page: url, reason: error.message, cause: error });
  }
  // Nothing conditional was sent, so a 304 would be a broken server.
  if (fetched.status !== 'ok') {
    throw appError('page_unreachable', {
      page: url,
      reason: `It answered HTTP ${fetched.httpStatus} to a request that was not conditional.`,
    });
  }
  const text = decoderFor(fetched.contentType)
    .decode(fetched.body)
    .replace(/^\uFEFF/, '')
    .trim();
  if (isBinary(text.slice(0, 1024))) {
    throw appError('no_feed_found', { page: url, notHtml: fetched.contentType ?? 'binary data' });
  }
  if (isFeed(text)) return { feedUrl: url };
  // Relative links are relative to where the page was found, after redirects.
  const found = findFeedLink(text, fetched.finalUrl);
  if (found.feedUrl !== undefined) return { feedUrl: found.feedUrl, page: url };
  throw appError(
    'no_feed_found',
    found.html ? { page: url } : { page: url, notHtml: fetched.contentType ?? 'no Content-Type' },
  );
}
