/** Atom 1.0 to a feed. */
import type { AtomFeed } from 'feedsmith';
import { withoutUndefined } from '../../../shared/infra/without-undefined.js';
import { firstImage, mediaImage } from './images.js';
import { alternateLink, resolveBase, webSubLinks } from './links.js';
import type { FeedItem, ParsedFeed } from './parsed-feed.js';
import { nonBlank, plainToHtml } from './text.js';

type AtomEntry = AtomFeed.Entry<string>;

type AtomText = AtomFeed.Text | AtomFeed.Content;

/** The HTML of an Atom text construct: `html` and `xhtml` as they are, `text` escaped. */
function atomHtml(text: AtomText | undefined): string | undefined {
  const value = text?.value;
  if (value === undefined) return undefined;
  const type = text?.type?.toLowerCase() ?? 'text';
  return type.includes('html') ? nonBlank(value) : plainToHtml(value);
}

function atomItem(
  entry: AtomEntry,
  feedBase: string | undefined,
  feedAuthor: string | undefined,
): FeedItem {
  const base = resolveBase(entry.xml?.base, feedBase);
  const contentHtml = atomHtml(entry.content);
  const summaryHtml = atomHtml(entry.summary);
  // Relative images in content resolve against the content element's own xml:base.
  const contentBase = resolveBase(entry.content?.xml?.base, base);
  const summaryBase = resolveBase(entry.summary?.xml?.base, base);
  return withoutUndefined({
    guid: nonBlank(entry.id),
    link: alternateLink(entry.links, base),
    title: atomHtml(entry.title),
    summaryHtml,
    contentHtml,
    // An entry without an author has the feed's (RFC 4287 §4.2.1).
    author: nonBlank(entry.authors?.[0]?.name) ?? feedAuthor,
    published: nonBlank(entry.published) ?? nonBlank(entry.dc?.dates?.[0]),
    updated: nonBlank(entry.updated),
    imageUrl:
      mediaImage(entry.media, base) ??
      firstImage(contentHtml, contentBase) ??
      firstImage(summaryHtml, summaryBase),
    lang: nonBlank(entry.xml?.lang),
  });
}

/** The feed of a parsed Atom document; `base` is the URL relative links resolve against. */
export function fromAtom(feed: AtomFeed.Feed<string>, base: string | undefined): ParsedFeed {
  const feedBase = resolveBase(feed.xml?.base, base);
  const feedAuthor = nonBlank(feed.authors?.[0]?.name);
  return withoutUndefined({
    format: 'atom' as const,
    title: nonBlank(feed.title?.value),
    lang: nonBlank(feed.xml?.lang),
    ...webSubLinks(feed.links, feedBase),
    items: (feed.entries ?? []).map((entry) => atomItem(entry, feedBase, feedAuthor)),
  });
}
