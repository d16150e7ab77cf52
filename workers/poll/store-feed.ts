/**
 * A fetched or pushed feed document into posts: decode → parse → take the newest items → map →
 * normalise (the API's validation) → store each (the ingest job's own step). The one pipeline
 * behind both a poll and a WebSub content distribution, so a pushed item becomes exactly the
 * post the next poll would have made of it.
 */
import { normalizeArticle } from '../../shared/domain/article/normalize.js';
import type { SourceConfig, SourceStore } from '../../shared/domain/sources.js';
import type { StoreArticle } from '../ingest/store-article.js';
import { decodeFeed } from './decode.js';
import { itemKey, mapFeedItem, newestItems } from './map.js';
import type { ParsedFeed } from './parse/parsed-feed.js';
import { parseFeedText } from './parse/parse-feed.js';

export interface StoreFeedDeps {
  store: Pick<SourceStore, 'firstSeen'>;
  storeArticle: StoreArticle;
  /** RECENT_LIMIT: the most items one document gives (the newest), as no list shows more. */
  recentLimit: number;
}

/** The document as received: its bytes, its Content-Type, and the URL relative links resolve against. */
export interface FeedDocument {
  body: Uint8Array;
  contentType?: string;
  feedUrl: string;
}

export interface StoredFeed {
  feed: ParsedFeed;
  added: number;
  updated: number;
  /** What the source's status should say about the items (dates read with a guess), if anything. */
  notice?: string;
}

/** One line for the dates read with a guess: how many, and the first reason. */
function datesNotice(notices: readonly string[]): string | undefined {
  const [first] = notices;
  if (first === undefined) return undefined;
  const items = notices.length === 1 ? '1 item' : `${String(notices.length)} items`;
  return `The date of ${items} may be off: ${first}.`;
}

/**
 * Stores the items of `document` for `source` at time `at`.
 *
 * @throws FeedError when the document is not a feed or too broken to read.
 */
export async function storeFeedDocument(
  deps: StoreFeedDeps,
  source: SourceConfig,
  document: FeedDocument,
  at: number,
  /** Checked after parsing, before anything is stored (a poll's "had items, now none" rule). */
  accept: (feed: ParsedFeed) => void = () => undefined,
): Promise<StoredFeed> {
  const { text } = decodeFeed(document.body, document.contentType);
  const feed = parseFeedText(text, document.feedUrl);
  accept(feed);
  const taken = newestItems(feed.items, deps.recentLimit, at);
  const itemKeys = taken.map(itemKey);
  const seen = await deps.store.firstSeen(source.id, itemKeys, at);
  let added = 0;
  let updated = 0;
  const dateNotices: string[] = [];
  for (const [i, item] of taken.entries()) {
    const firstSeenAt = seen.get(itemKeys[i] ?? '') ?? at;
    const mapped = mapFeedItem(item, {
      feedUrl: document.feedUrl,
      channels: source.channels,
      now: at,
      firstSeenAt,
      ...(feed.lang ? { lang: feed.lang } : {}),
    });
    if (!mapped.ok) continue;
    const checked = normalizeArticle(mapped.article, at);
    if (!checked.ok) continue;
    if (mapped.notice !== undefined) dateNotices.push(mapped.notice);
    const result = await deps.storeArticle(checked.article, at, { fromFeed: true });
    if (result.status === 'created') added++;
    if (result.status === 'updated') updated++;
  }
  const notice = datesNotice(dateNotices);
  return notice === undefined ? { feed, added, updated } : { feed, added, updated, notice };
}
