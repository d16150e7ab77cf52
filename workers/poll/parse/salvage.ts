/**
 * Lenient recovery of XML feeds that do not parse as they are: a cut-off end is closed, and when
 * that is not enough the items are parsed one group at a time and the good ones kept.
 */
import { MalformedError } from 'feedsmith';
import { FeedError } from '../../../shared/domain/feed/feed-error.js';
import type { FeedItem, ParsedFeed, XmlFormat } from './parsed-feed.js';
import { parseXmlFeed } from './xml-feed.js';

/** HTML elements that have no end tag; in unescaped content they must not be "closed". */
const VOID_ELEMENTS = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);

const MARKUP =
  /<!--[\s\S]*?(?:-->|$)|<!\[CDATA\[[\s\S]*?(?:\]\]>|$)|<\?[\s\S]*?(?:\?>|$)|<(\/?)([A-Za-z_][\w.:-]*)(?:[^<>"']|"[^<"]*"|'[^<']*')*?(\/?)>|<[^<>]*$/g;

/**
 * A cut-off document made whole: an unfinished construct at the end (a tag, a comment, a CDATA
 * section) is dropped, and the elements still open are closed. This is what lets a feed that
 * ends in `</rss` or in the middle of an item keep the items before the cut.
 */
function closeTruncated(text: string): string {
  const open: string[] = [];
  let end = text.length;
  for (const match of text.matchAll(MARKUP)) {
    const token = match[0];
    const unfinished =
      (token.startsWith('<!--') && !token.endsWith('-->')) ||
      (token.startsWith('<![CDATA[') && !token.endsWith(']]>')) ||
      (token.startsWith('<?') && !token.endsWith('?>')) ||
      !token.endsWith('>');
    if (unfinished) {
      end = match.index;
      break;
    }
    const name = match[2];
    if (name === undefined || match[3] === '/' || VOID_ELEMENTS.has(name.toLowerCase())) continue;
    if (match[1] === '/') {
      const at = open.lastIndexOf(name);
      if (at !== -1) open.length = at;
    } else {
      open.push(name);
    }
  }
  const closers = open
    .reverse()
    .map((name) => `</${name}>`)
    .join('');
  return text.slice(0, end) + closers;
}

/**
 * The `<item>…</item>` (or `<entry>`) pieces of a document, each from a start tag to the next end
 * tag of the same name. One pass over the tags, so a document full of unclosed items costs linear
 * time, not a scan to the end for each.
 */
function itemChunks(text: string, itemName: string): string[] {
  const tags = new RegExp(`<(/?)((?:[\\w.-]+:)?${itemName})(?=[\\s>/])`, 'g');
  const chunks: string[] = [];
  let start: { index: number; name: string } | undefined;
  for (const match of text.matchAll(tags)) {
    const name = match[2] ?? '';
    if (match[1] !== '/') {
      start = { index: match.index, name };
    } else if (start?.name === name) {
      const end = text.indexOf('>', match.index);
      if (end === -1) break;
      chunks.push(text.slice(start.index, end + 1));
      start = undefined;
    }
  }
  return chunks;
}

/**
 * Items salvaged when the document as a whole does not parse: the `<item>`s or `<entry>`s are
 * parsed apart from the rest, inside the document's root start tag (which carries the namespace
 * declarations), and those that parse are kept. The feed's title comes from what precedes the
 * first item.
 */
function salvage(
  text: string,
  format: XmlFormat,
  root: { name: string; index: number },
  base: string | undefined,
): ParsedFeed | undefined {
  const rootTag = /^<[^>]*>/.exec(text.slice(root.index))?.[0];
  if (rootTag === undefined) return undefined;
  const itemName = format === 'atom' ? 'entry' : 'item';
  const [open, close] =
    format === 'rss'
      ? [`${rootTag}<channel>`, `</channel></${root.name}>`]
      : [rootTag, `</${root.name}>`];
  // Items are parsed in groups, halved around failures: one broken item among 10,000 costs about
  // 2·log2(10,000) parses, not 10,000.
  const parseGroup = (chunks: readonly string[]): FeedItem[] => {
    if (chunks.length === 0) return [];
    try {
      return parseXmlFeed(open + chunks.join('') + close, format, base).items;
    } catch {
      // A broken item beyond repair is dropped; the others are still worth having.
      if (chunks.length === 1) return [];
      const half = Math.ceil(chunks.length / 2);
      return [...parseGroup(chunks.slice(0, half)), ...parseGroup(chunks.slice(half))];
    }
  };
  const items = parseGroup(itemChunks(text, itemName));
  let head: ParsedFeed | undefined;
  const firstItem = text.search(new RegExp(`<(?:[\\w.-]+:)?${itemName}[\\s>/]`));
  try {
    head = parseXmlFeed(
      closeTruncated(firstItem === -1 ? text : text.slice(0, firstItem)),
      format,
      base,
    );
  } catch {
    head = undefined;
  }
  if (items.length === 0 && head === undefined) return undefined;
  return { ...(head ?? { format }), items };
}

/** The feed parsed strictly, else repaired (cut-off end), else item by item. */
export function parseLeniently(
  text: string,
  format: XmlFormat,
  root: { name: string; index: number },
  feedUrl: string,
): ParsedFeed {
  let firstError: unknown;
  for (const attempt of [text, closeTruncated(text)]) {
    try {
      return parseXmlFeed(attempt, format, feedUrl);
    } catch (error) {
      firstError ??= error;
    }
  }
  const salvaged = salvage(text, format, root, feedUrl);
  if (salvaged !== undefined) return salvaged;
  const reason =
    firstError instanceof MalformedError && firstError.cause instanceof Error
      ? firstError.cause.message
      : firstError instanceof Error
        ? firstError.message
        : String(firstError);
  throw new FeedError(
    'malformed',
    `The ${format.toUpperCase()} feed is not well-formed XML and no item could be recovered (${reason}); report it to the publisher.`,
    { cause: firstError },
  );
}
