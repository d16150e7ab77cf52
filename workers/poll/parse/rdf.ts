/** RSS 1.0 (RDF, with its Dublin Core and Media RSS extensions) to a feed. */
import type { RdfFeed } from 'feedsmith';
import { withoutUndefined } from '../../../shared/infra/without-undefined.js';
import { firstImage, mediaImage } from './images.js';
import { resolveBase, resolveHttp } from './links.js';
import type { FeedItem, ParsedFeed } from './parsed-feed.js';
import { nonBlank } from './text.js';

type RdfItem = RdfFeed.Item<string>;

function rdfItem(item: RdfItem, channelBase: string | undefined): FeedItem {
  const base = resolveBase(item.xml?.base, channelBase);
  const guid = nonBlank(item.rdf?.about);
  const contentHtml = nonBlank(item.content?.encoded);
  const summaryHtml = nonBlank(item.description) ?? nonBlank(item.dc?.descriptions?.[0]);
  return withoutUndefined({
    guid,
    link: resolveHttp(item.link, base) ?? resolveHttp(guid, undefined),
    title: nonBlank(item.title) ?? nonBlank(item.dc?.titles?.[0]),
    summaryHtml,
    contentHtml,
    author: nonBlank(item.dc?.creators?.[0]),
    published: nonBlank(item.dc?.dates?.[0]) ?? nonBlank(item.dcterms?.issued?.[0]),
    updated: nonBlank(item.dcterms?.modified?.[0]),
    imageUrl: mediaImage(item.media, base) ?? firstImage(contentHtml ?? summaryHtml, base),
    lang: nonBlank(item.xml?.lang) ?? nonBlank(item.dc?.languages?.[0]),
  });
}

/** The feed of a parsed RSS 1.0 (RDF) document; `base` is the URL relative links resolve against. */
export function fromRdf(feed: RdfFeed.Feed<string>, base: string | undefined): ParsedFeed {
  const channelBase = resolveBase(feed.xml?.base, base);
  return withoutUndefined({
    format: 'rdf' as const,
    title: nonBlank(feed.title),
    lang: nonBlank(feed.dc?.languages?.[0]) ?? nonBlank(feed.xml?.lang),
    items: (feed.items ?? []).map((item) => rdfItem(item, channelBase)),
  });
}
