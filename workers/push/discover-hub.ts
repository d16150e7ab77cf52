/**
 * Where a feed says it is pushed from (WebSub §4, discovery): the hub and the topic, read from the
 * HTTP `Link` header of its answer (RFC 8288) and from the feed document's own links. The header
 * wins, as WebSub asks of subscribers, and `rel="self"` is the topic, the feed URL when absent.
 */
import LinkHeader from 'http-link-header';
import type { ParsedFeed } from '../poll/parse/parsed-feed.js';

/** A hub to subscribe at and the topic to subscribe to. */
export interface HubDiscovery {
  hub: string;
  topic: string;
}

/** An absolute http(s) URL, resolved against `base`; undefined for anything else. */
function httpUrl(text: string, base: string): string | undefined {
  try {
    const url = new URL(text, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `rel="hub"` and `rel="self"` targets of a `Link` header, resolved against the feed URL. A
 * header the parser cannot read gives none: a broken header must not fail the poll.
 */
export function linkHeaderRels(
  header: string | undefined,
  base: string,
): { hubs: string[]; self?: string } {
  if (header === undefined) return { hubs: [] };
  let parsed: LinkHeader;
  try {
    parsed = LinkHeader.parse(header);
  } catch {
    return { hubs: [] };
  }
  const targets = (rel: string): string[] =>
    parsed.rel(rel).flatMap((ref) => httpUrl(ref.uri, base) ?? []);
  const [self] = targets('self');
  return { hubs: targets('hub'), ...(self === undefined ? {} : { self }) };
}

/**
 * The hub and topic of a fetched feed, or undefined when it names no hub. With several hubs, the
 * first is used: one subscription per source is enough, and polling covers the rest.
 */
export function discoverHub(
  feed: Pick<ParsedFeed, 'hubs' | 'self'>,
  linkHeader: string | undefined,
  feedUrl: string,
): HubDiscovery | undefined {
  const fromHeader = linkHeaderRels(linkHeader, feedUrl);
  const hub = fromHeader.hubs[0] ?? feed.hubs?.[0];
  if (hub === undefined) return undefined;
  return { hub, topic: fromHeader.self ?? feed.self ?? feedUrl };
}
