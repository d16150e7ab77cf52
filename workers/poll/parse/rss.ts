/** RSS 0.9x and 2.0 (with its Dublin Core, Atom, Media RSS and iTunes extensions) to a feed. */
import type { RssFeed } from 'feedsmith';
import { withoutUndefined } from '../../../shared/infra/without-undefined.js';
import { firstImage, mediaImage } from './images.js';
import { alternateLink, resolveBase, resolveHttp, webSubLinks } from './links.js';
import type { FeedItem, ParsedFeed } from './parsed-feed.js';
import { nonBlank } from './text.js';

type RssItem = RssFeed.Item<string>;

function rssItem(item: RssItem, channelBase: string | undefined): FeedItem {
  const base = resolveBase(item.xml?.base, channelBase);
  const guid = nonBlank(item.guid?.value);
  const guidIsPermaLink = item.guid?.isPermaLink === false ? false : undefined;
  const contentHtml = nonBlank(item.content?.encoded);
  const summaryHtml = nonBlank(item.description) ?? nonBlank(item.dc?.descriptions?.[0]);
  // No <link>: an atom:link, else the guid when it is a permalink (RSS's default), as Miniflux
  // does; a permalink guid must be absolute, so it is not resolved.
  const link =
    resolveHttp(item.link, base) ??
    alternateLink(item.atom?.links, base) ??
    (guidIsPermaLink === false ? undefined : resolveHttp(guid, undefined));
  const image =
    mediaImage(item.media, base) ??
    resolveHttp(
      item.enclosures?.find((enclosure) => enclosure.type?.startsWith('image/') === true)?.url,
      base,
    ) ??
    resolveHttp(item.itunes?.image, base) ??
    firstImage(contentHtml ?? summaryHtml, base);
  return withoutUndefined({
    guid,
    guidIsPermaLink,
    link,
    title: nonBlank(item.title) ?? nonBlank(item.dc?.titles?.[0]),
    summaryHtml,
    contentHtml,
    author:
      nonBlank(item.authors?.[0]?.name) ??
      nonBlank(item.dc?.creators?.[0]) ??
      nonBlank(item.itunes?.author),
    published:
      nonBlank(item.pubDate) ??
      nonBlank(item.dc?.dates?.[0]) ??
      nonBlank(item.dcterms?.issued?.[0]) ??
      nonBlank(item.atom?.published),
    updated: nonBlank(item.atom?.updated) ?? nonBlank(item.dcterms?.modified?.[0]),
    imageUrl: image,
    lang: nonBlank(item.xml?.lang) ?? nonBlank(item.dc?.languages?.[0]),
  });
}

function positiveMinutes(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** The feed of a parsed RSS document; `base` is the URL relative links resolve against. */
export function fromRss(feed: RssFeed.Feed<string>, base: string | undefined): ParsedFeed {
  const channelBase = resolveBase(feed.xml?.base, base);
  return withoutUndefined({
    format: 'rss' as const,
    title: nonBlank(feed.title),
    lang: nonBlank(feed.language) ?? nonBlank(feed.dc?.languages?.[0]) ?? nonBlank(feed.xml?.lang),
    ttlMinutes: positiveMinutes(feed.ttl),
    ...webSubLinks(feed.atom?.links, channelBase),
    items: (feed.items ?? []).map((item) => rssItem(item, channelBase)),
  });
}
