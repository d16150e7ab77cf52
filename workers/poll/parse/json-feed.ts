/** JSON Feed 1.0 and 1.1 to a feed: JSON has a parser of its own, and no salvage. */
import { parseJsonFeed, type JsonFeed } from 'feedsmith';
import { withoutUndefined } from '../../../shared/infra/without-undefined.js';
import { FeedError } from '../../../shared/domain/feed/feed-error.js';
import { firstImage } from './images.js';
import { resolveHttp } from './links.js';
import type { FeedItem, ParsedFeed } from './parsed-feed.js';
import { nonBlank, plainToHtml } from './text.js';

function jsonItem(
  item: JsonFeed.Item<string>,
  feedUrl: string,
  feedAuthor: string | undefined,
): FeedItem {
  const contentHtml = nonBlank(item.content_html) ?? plainToHtml(item.content_text);
  return withoutUndefined({
    guid: nonBlank(typeof item.id === 'string' ? item.id : undefined),
    link: resolveHttp(item.url, feedUrl) ?? resolveHttp(item.external_url, feedUrl),
    title: plainToHtml(item.title),
    // JSON Feed's summary is plain text.
    summaryHtml: plainToHtml(item.summary),
    contentHtml,
    author: nonBlank(item.authors?.[0]?.name) ?? feedAuthor,
    published: nonBlank(item.date_published),
    updated: nonBlank(item.date_modified),
    imageUrl:
      resolveHttp(item.image, feedUrl) ??
      resolveHttp(item.banner_image, feedUrl) ??
      firstImage(item.content_html, feedUrl),
    lang: nonBlank(item.language),
  });
}

/**
 * The feed of a JSON document.
 *
 * @throws FeedError `malformed` for invalid JSON, `not_a_feed` for JSON that is not a JSON Feed.
 */
export function parseJson(text: string, feedUrl: string): ParsedFeed {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FeedError(
      'malformed',
      `The feed looks like JSON but is not valid JSON (${error instanceof Error ? error.message : String(error)}); check that the URL serves a complete JSON Feed.`,
      { cause: error },
    );
  }
  let feed: JsonFeed.Feed<string>;
  try {
    feed = parseJsonFeed(json);
  } catch (error) {
    throw new FeedError(
      'not_a_feed',
      'The document is JSON but not a JSON Feed (no "version" of https://jsonfeed.org/version/1 or 1.1, or no "title" and "items"); check the feed URL.',
      { cause: error },
    );
  }
  const feedAuthor = nonBlank(feed.authors?.[0]?.name);
  // JSON Feed names hubs by type; WebSub is the one Khabar speaks (older feeds say "WebSub" or "websub").
  const hubs = (feed.hubs ?? []).flatMap((hub) =>
    hub.type?.toLowerCase() === 'websub' ? (resolveHttp(hub.url, feedUrl) ?? []) : [],
  );
  return withoutUndefined({
    format: 'json' as const,
    title: nonBlank(feed.title),
    lang: nonBlank(feed.language),
    hubs: hubs.length > 0 ? hubs : undefined,
    self: resolveHttp(feed.feed_url, feedUrl),
    items: (feed.items ?? []).map((item) => jsonItem(item, feedUrl, feedAuthor)),
  });
}
