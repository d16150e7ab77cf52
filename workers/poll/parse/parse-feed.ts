/**
 * Feed text to items, like Miniflux's internal/reader/parser: this module only dispatches. The
 * format is sniffed from the document (sniff.ts: its root element, or JSON), never from the URL or
 * Content-Type; each format is mapped by its own module (rss.ts, atom.ts, rdf.ts, json-feed.ts)
 * from what feedsmith parses. Parsing is lenient where real feeds need it (salvage.ts: junk around
 * the document, a missing `</rss>`, one broken item among good ones; an Atom feed wrapped in an
 * XHTML page) and strict about safety: document type declarations are dropped before parsing, so
 * no entity declared in one is ever expanded (billion laughs) or fetched (XXE). feedsmith itself
 * runs fast-xml-parser with `processEntities: false` and decodes only the predefined XML and HTML
 * entities.
 */
import { FeedError, notAFeed } from '../../../shared/domain/feed/feed-error.js';
import { parseJson } from './json-feed.js';
import type { ParsedFeed } from './parsed-feed.js';
import { decodeBase64Text, unprefixRss } from './rewrite.js';
import { parseLeniently } from './salvage.js';
import {
  hasRootEnd,
  isBinary,
  MAX_TAG_SCAN_RATIO,
  sniffXml,
  tagScanCost,
  withoutForbiddenChars,
} from '../../../shared/domain/feed/sniff.js';

/** An XML document's feed: found, checked for the quadratic and the cut-off cases, parsed leniently. */
function parseXml(original: string, feedUrl: string): ParsedFeed {
  const sniffed = sniffXml(original);
  const { format } = sniffed;
  // Variants feedsmith does not read, rewritten into the forms it does: prefixed RSS elements
  // (`<r:rss>`), Atom 0.3 text in base64.
  let document = sniffed.document;
  let root = sniffed.root;
  if (format === 'rss' && root.name.includes(':')) {
    document = unprefixRss(document, root.name);
    // Nothing before the root is a prefixed tag, so its start does not move.
    root = { name: root.name.slice(root.name.indexOf(':') + 1), index: root.index };
  }
  if (format === 'atom') document = decodeBase64Text(document);
  if (tagScanCost(document) > MAX_TAG_SCAN_RATIO * document.length + 1_000_000) {
    throw new FeedError(
      'malformed',
      `The ${format.toUpperCase()} feed is not well-formed XML: it is full of "<" without a closing ">" (binary data or a broken generator); report it to the publisher.`,
    );
  }
  const complete = hasRootEnd(document, root.name);
  const parsed = parseLeniently(document, format, root, feedUrl);
  // A document cut off before its first item is a failure (a CMS error page half-rendered), not an
  // empty feed: reporting it as empty would hide the outage. One cut off inside an item is a feed
  // whose items (possibly none) were recovered.
  const itemStarted = new RegExp(`<(?:[\\w.-]+:)?${format === 'atom' ? 'entry' : 'item'}[\\s>/]`);
  if (!complete && parsed.items.length === 0 && !itemStarted.test(document)) {
    throw new FeedError(
      'malformed',
      `The ${format.toUpperCase()} feed is cut off: it has no items and no closing </${root.name}> tag (the server may have failed while rendering it); try again later or report it to the publisher.`,
    );
  }
  return parsed;
}

/**
 * Parses a decoded feed document (see `decodeFeed`): RSS 0.9x/2.0, RSS 1.0 (RDF), Atom 1.0 or
 * JSON Feed 1.0/1.1, whatever the URL's extension or Content-Type says.
 *
 * Lenient where real feeds need it: CDATA and HTML entities (`&nbsp;`) in XML, whitespace around
 * links, relative links (resolved against item and feed `xml:base`, then `feedUrl`), Atom's
 * `rel="alternate"` link preferred, an RSS permalink guid used as the link of an item without one,
 * a missing `</rss>` or a cut-off last item (the earlier items are kept), one broken item among
 * good ones (the others are kept), an Atom feed wrapped in an XHTML page. Safe: document type
 * declarations are dropped, so no entity is expanded or fetched.
 *
 * @param text The document, as {@link decodeFeed} returns it.
 * @param feedUrl The URL the feed was fetched from: the base of relative links.
 * @throws FeedError `not_a_feed` for anything that is not a feed (an HTML page, binary or
 *   compressed data, another XML vocabulary, JSON that is not a JSON Feed); `malformed` for a feed
 *   too broken to read (cut off before any item, invalid JSON, no item recoverable).
 */
export function parseFeedText(text: string, feedUrl: string): ParsedFeed {
  const document = text.replace(/^\uFEFF/, '').trim();
  if (document === '') {
    throw new FeedError(
      'not_a_feed',
      'The document is empty; check that the feed URL serves the feed.',
    );
  }
  const json = document.startsWith('{') || document.startsWith('[');
  if (!json && isBinary(document.slice(0, 1024))) {
    throw notAFeed(
      'binary data (a compressed body, such as gzip served without Content-Encoding, or a file)',
    );
  }
  // A stray control character (a vertical tab pasted into a description) is not allowed in XML
  // nor raw in JSON; dropping it reads the feed instead of rejecting all of it.
  const clean = withoutForbiddenChars(document);
  return json ? parseJson(clean, feedUrl) : parseXml(clean, feedUrl);
}
