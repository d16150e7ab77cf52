/** One XML document parsed strictly as the format its root says, and mapped to a feed. */
import { ParseError, parseAtomFeed, parseRdfFeed, parseRssFeed } from 'feedsmith';
import { fromAtom } from './atom.js';
import type { ParsedFeed, XmlFormat } from './parsed-feed.js';
import { fromRdf } from './rdf.js';
import { fromRss } from './rss.js';

/**
 * The feed of a well-formed document of `format`; a document with nothing feed-like inside its
 * root is an empty feed.
 *
 * @throws what feedsmith throws for a document that is not well-formed (`MalformedError`).
 */
export function parseXmlFeed(
  text: string,
  format: XmlFormat,
  base: string | undefined,
): ParsedFeed {
  try {
    if (format === 'rss') return fromRss(parseRssFeed(text), base);
    if (format === 'atom') return fromAtom(parseAtomFeed(text), base);
    return fromRdf(parseRdfFeed(text), base);
  } catch (error) {
    // feedsmith's ParseError: well-formed, but nothing feed-like inside the root (`<rss></rss>`
    // without a channel). That is an empty feed, not a broken one.
    if (error instanceof ParseError) return { format, items: [] };
    throw error;
  }
}
