/**
 * Feed text to items, like Miniflux's internal/reader/parser: the format is sniffed from the
 * document (its root element, or JSON), never from the URL or Content-Type, and parsed with
 * feedsmith. Parsing is lenient where real feeds need it (junk around the document, a missing
 * `</rss>`, one broken item among good ones, an Atom feed wrapped in an XHTML page) and strict about
 * safety: document type declarations are dropped before parsing, so no entity declared in one is
 * ever expanded (billion laughs) or fetched (XXE). feedsmith itself runs fast-xml-parser with
 * `processEntities: false` and decodes only the predefined XML and HTML entities.
 */
import {
  MalformedError,
  ParseError,
  parseAtomFeed,
  parseJsonFeed,
  parseRdfFeed,
  parseRssFeed,
  type AtomFeed,
  type JsonFeed,
  type MediaNs,
  type RdfFeed,
  type RssFeed,
} from 'feedsmith';
import type { PollErrorCode } from '../../shared/infra/errors.js';

/** The syntax a feed was written in. */
export type FeedFormat = 'rss' | 'atom' | 'rdf' | 'json';

/**
 * One item of a feed, as the feed gave it, before any of Khabar's rules: text fields hold HTML
 * (plain-text fields of Atom and JSON Feed are escaped so they survive being read as HTML), links
 * are absolute (resolved against `xml:base` and the feed URL), dates are the feed's own text.
 */
export interface FeedItem {
  /** The RSS guid, Atom id, RDF `rdf:about` or JSON Feed id, trimmed. */
  guid?: string;
  /**
   * Whether the feed says the guid is the item's permalink: `false` for RSS
   * `isPermaLink="false"`, otherwise unset (RSS's default is true; Atom and JSON ids are often,
   * but not always, URLs).
   */
  guidIsPermaLink?: boolean;
  /** The item's page, absolute http(s); the permalink guid when the item has no link. */
  link?: string;
  title?: string;
  summaryHtml?: string;
  contentHtml?: string;
  author?: string;
  /** The publication date as written in the feed (see `parseFeedDate`). */
  published?: string;
  /** The last-modified date as written in the feed. */
  updated?: string;
  imageUrl?: string;
  lang?: string;
}

/** What {@link parseFeedText} found in a feed document. */
export interface ParsedFeed {
  format: FeedFormat;
  title?: string;
  /** The feed's language (RSS `language`, Atom `xml:lang`, JSON Feed `language`), as written. */
  lang?: string;
  /** How long the publisher asks readers to cache the feed (RSS `ttl`), in minutes. */
  ttlMinutes?: number;
  items: FeedItem[];
}

/**
 * Why a document could not be read as a feed: `not_a_feed` when it is something else (an HTML
 * page, binary data, another XML vocabulary), `malformed` when it is a feed too broken to recover
 * (cut off before any item, invalid JSON). The message says what to check.
 */
export class FeedError extends Error {
  constructor(
    readonly code: PollErrorCode<'parse'>,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FeedError';
  }
}

type XmlFormat = Exclude<FeedFormat, 'json'>;
type RssItem = RssFeed.Item<string>;
type RdfItem = RdfFeed.Item<string>;
type AtomEntry = AtomFeed.Entry<string>;
type AtomText = AtomFeed.Text | AtomFeed.Content;
type MediaHolder = MediaNs.ItemOrFeed;

/* ---------------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------------- */

/** A copy without the keys whose value is `undefined`. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** `text` trimmed, or undefined when blank. */
function nonBlank(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/**
 * Plain text made safe to read as HTML. Only `<` is escaped: publishers put entities such as
 * `&#8211;` in fields that are plain text by the spec, and those should still decode; a literal
 * `<` must not start a tag.
 */
function plainToHtml(text: string | undefined): string | undefined {
  return nonBlank(text)?.replaceAll('<', '&lt;');
}

/** `href` resolved against `base`, if that gives an absolute http(s) URL. */
function resolveHttp(href: string | undefined, base: string | undefined): string | undefined {
  const text = nonBlank(href);
  if (text === undefined) return undefined;
  try {
    const url = new URL(text, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** An `xml:base` resolved against the base in scope (any scheme: a base need not be http). */
function resolveBase(xmlBase: string | undefined, base: string | undefined): string | undefined {
  const text = nonBlank(xmlBase);
  if (text === undefined) return base;
  try {
    return new URL(text, base).href;
  } catch {
    return base;
  }
}

/** The HTML of an Atom text construct: `html` and `xhtml` as they are, `text` escaped. */
function atomHtml(text: AtomText | undefined): string | undefined {
  const value = text?.value;
  if (value === undefined) return undefined;
  const type = text?.type?.toLowerCase() ?? 'text';
  return type.includes('html') ? nonBlank(value) : plainToHtml(value);
}

/** Images that are not pictures of the story: tracking pixels, FeedBurner "flare" buttons. */
function isJunkImage(tag: string, src: string): boolean {
  const size = /\s(?:width|height)\s*=\s*["']?([01])(?:px)?["'\s/>]/i.test(tag);
  return size || src.startsWith('data:') || /\/~(?:ff|r)\//.test(src);
}

/** The first picture (`<img src>`) of some HTML, resolved against `base`. */
function firstImage(html: string | undefined, base: string | undefined): string | undefined {
  if (html === undefined) return undefined;
  for (const match of html.matchAll(/<img\b(?:[^<>"']|"[^<"]*"|'[^<']*')*>/gi)) {
    const tag = match[0];
    const attribute = /\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(tag);
    const src = (attribute?.[1] ?? attribute?.[2] ?? attribute?.[3])?.replaceAll('&amp;', '&');
    if (src === undefined || isJunkImage(tag, src)) continue;
    const url = resolveHttp(src, base);
    if (url !== undefined) return url;
  }
  return undefined;
}

/** An image from Media RSS: a thumbnail, else an image content, at the top level or in a group. */
function mediaImage(media: MediaHolder | undefined, base: string | undefined): string | undefined {
  if (media === undefined) return undefined;
  const holders = [media, ...(media.groups ?? [])];
  for (const holder of holders) {
    const url = resolveHttp(holder.thumbnails?.[0]?.url, base);
    if (url !== undefined) return url;
  }
  for (const holder of holders) {
    for (const content of holder.contents ?? []) {
      const isImage = content.medium === 'image' || content.type?.startsWith('image/') === true;
      const url = isImage ? resolveHttp(content.url, base) : undefined;
      if (url !== undefined) return url;
      const thumbnail = resolveHttp(content.thumbnails?.[0]?.url, base);
      if (thumbnail !== undefined) return thumbnail;
    }
  }
  return undefined;
}

/** The `alternate` link of an Atom link list (a link without `rel` is one), HTML preferred. */
function alternateLink(
  links: readonly AtomFeed.Link<string>[] | undefined,
  base: string | undefined,
): string | undefined {
  const alternates = (links ?? []).filter((link) => (link.rel ?? 'alternate') === 'alternate');
  const html = alternates.find((link) => link.type === undefined || link.type.includes('html'));
  return resolveHttp((html ?? alternates[0])?.href, base);
}

/* ---------------------------------------------------------------------------------------------
 * Format mapping
 * ------------------------------------------------------------------------------------------- */

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
  return compact({
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

function rdfItem(item: RdfItem, channelBase: string | undefined): FeedItem {
  const base = resolveBase(item.xml?.base, channelBase);
  const guid = nonBlank(item.rdf?.about);
  const contentHtml = nonBlank(item.content?.encoded);
  const summaryHtml = nonBlank(item.description) ?? nonBlank(item.dc?.descriptions?.[0]);
  return compact({
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
  return compact({
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

function jsonItem(
  item: JsonFeed.Item<string>,
  feedUrl: string,
  feedAuthor: string | undefined,
): FeedItem {
  const contentHtml = nonBlank(item.content_html) ?? plainToHtml(item.content_text);
  return compact({
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

function positiveMinutes(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}

function fromRss(feed: RssFeed.Feed<string>, base: string | undefined): ParsedFeed {
  const channelBase = resolveBase(feed.xml?.base, base);
  return compact({
    format: 'rss' as const,
    title: nonBlank(feed.title),
    lang: nonBlank(feed.language) ?? nonBlank(feed.dc?.languages?.[0]) ?? nonBlank(feed.xml?.lang),
    ttlMinutes: positiveMinutes(feed.ttl),
    items: (feed.items ?? []).map((item) => rssItem(item, channelBase)),
  });
}

function fromRdf(feed: RdfFeed.Feed<string>, base: string | undefined): ParsedFeed {
  const channelBase = resolveBase(feed.xml?.base, base);
  return compact({
    format: 'rdf' as const,
    title: nonBlank(feed.title),
    lang: nonBlank(feed.dc?.languages?.[0]) ?? nonBlank(feed.xml?.lang),
    items: (feed.items ?? []).map((item) => rdfItem(item, channelBase)),
  });
}

function fromAtom(feed: AtomFeed.Feed<string>, base: string | undefined): ParsedFeed {
  const feedBase = resolveBase(feed.xml?.base, base);
  const feedAuthor = nonBlank(feed.authors?.[0]?.name);
  return compact({
    format: 'atom' as const,
    title: nonBlank(feed.title?.value),
    lang: nonBlank(feed.xml?.lang),
    items: (feed.entries ?? []).map((entry) => atomItem(entry, feedBase, feedAuthor)),
  });
}

/* ---------------------------------------------------------------------------------------------
 * Sniffing
 * ------------------------------------------------------------------------------------------- */

/**
 * Whether text holds C0 control characters other than tab, newline and carriage return: they are
 * not allowed in XML, and are what binary data (a gzip body) decodes to.
 */
function isBinary(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return true;
  }
  return false;
}

/** Where a document type declaration ends, internal subset included, or -1. */
function doctypeEnd(text: string, start: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = start; i < text.length; i += 1) {
    const char = text[i];
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '[') {
      depth += 1;
    } else if (char === ']') {
      depth = Math.max(0, depth - 1);
    } else if (char === '>' && depth === 0) {
      return i + 1;
    }
  }
  return -1;
}

/**
 * The document without its document type declaration. A feed has no use for a DTD, and dropping
 * it is the simplest proof that nothing declared there is expanded or fetched: `&lol9;` and `&x;`
 * stay as the literal text they are.
 */
function withoutDoctype(text: string, rootIndex: number): string {
  // Only in the prolog: "<!DOCTYPE html>" inside an item's CDATA is content.
  const match = /<!DOCTYPE\s/i.exec(text.slice(0, rootIndex));
  if (match === null) return text;
  const end = doctypeEnd(text, match.index);
  return end === -1 ? text : text.slice(0, match.index) + text.slice(end);
}

/** The qualified name of the root element and where its start tag begins, skipping the prolog. */
function findRoot(text: string): { name: string; index: number } | undefined {
  let index = 0;
  for (;;) {
    const lt = text.indexOf('<', index);
    if (lt === -1) return undefined;
    if (text.startsWith('<?', lt)) {
      const end = text.indexOf('?>', lt);
      if (end === -1) return undefined;
      index = end + 2;
    } else if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt);
      if (end === -1) return undefined;
      index = end + 3;
    } else if (text.startsWith('<!', lt)) {
      const end = doctypeEnd(text, lt);
      if (end === -1) return undefined;
      index = end;
    } else {
      const name = /^<([A-Za-z_][\w.:-]*)/.exec(text.slice(lt, lt + 200))?.[1];
      return name === undefined ? undefined : { name, index: lt };
    }
  }
}

function localName(qualified: string): string {
  return (qualified.split(':').pop() ?? qualified).toLowerCase();
}

function formatOfRoot(name: string): XmlFormat | undefined {
  const local = localName(name);
  if (local === 'rss') return 'rss';
  if (local === 'feed') return 'atom';
  if (local === 'rdf') return 'rdf';
  return undefined;
}

/**
 * A feed embedded in another document: an Atom `<feed>` or an `<rss>` inside an XHTML page (seen
 * in the wild, and handled by Feedjira), from its start tag to its last end tag.
 */
function embeddedFeed(text: string): { text: string; format: XmlFormat } | undefined {
  const start = /<((?:[\w.-]+:)?(feed|rss))[\s>]/i.exec(text);
  if (start?.[1] === undefined || start[2] === undefined) return undefined;
  const format: XmlFormat = start[2].toLowerCase() === 'rss' ? 'rss' : 'atom';
  if (format === 'atom' && !text.includes('http://www.w3.org/2005/Atom')) return undefined;
  const endTag = `</${start[1]}>`;
  const end = text.lastIndexOf(endTag);
  if (end < start.index) return undefined;
  return { text: text.slice(start.index, end + endTag.length), format };
}

/**
 * The characters an XML tokenizer reads to find the `>` of each `<`: for every `<`, the distance
 * to the next `>`. fast-xml-parser reads this much inside stop nodes (RSS descriptions), so
 * a document of `<` without `>` costs it quadratic time: 600 KB of `<a` took minutes. Real feeds
 * stay near their length (at most 1.03× over the fixture corpus), as text must escape `<`.
 */
function tagScanCost(text: string): number {
  let nextGt = text.length;
  let cost = 0;
  for (let i = text.length - 1; i >= 0; i -= 1) {
    const code = text.charCodeAt(i);
    if (code === 0x3e) nextGt = i;
    else if (code === 0x3c) cost += nextGt - i;
  }
  return cost;
}

/** How far {@link tagScanCost} may exceed the length before the document is refused. */
const MAX_TAG_SCAN_RATIO = 64;

/** Whether the root element is closed, i.e. the document was not cut off. */
function hasRootEnd(text: string, rootName: string): boolean {
  return new RegExp(`</${rootName.replace(/[.]/g, '\\.')}\\s*>`).test(text.slice(-4096));
}

/* ---------------------------------------------------------------------------------------------
 * Lenient recovery
 * ------------------------------------------------------------------------------------------- */

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

function parseXmlFeed(text: string, format: XmlFormat, base: string | undefined): ParsedFeed {
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

/* ---------------------------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------------------------- */

function parseJson(text: string, feedUrl: string): ParsedFeed {
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
  return compact({
    format: 'json' as const,
    title: nonBlank(feed.title),
    lang: nonBlank(feed.language),
    items: (feed.items ?? []).map((item) => jsonItem(item, feedUrl, feedAuthor)),
  });
}

function notAFeed(what: string, cause?: unknown): FeedError {
  return new FeedError(
    'not_a_feed',
    `The document is ${what}, not an RSS, Atom, RDF or JSON feed; check that the URL points to the feed itself (a site's page usually links it with <link rel="alternate" type="application/rss+xml">).`,
    { cause },
  );
}

function parseXml(original: string, feedUrl: string): ParsedFeed {
  const found = findRoot(original);
  const text = found === undefined ? original : withoutDoctype(original, found.index);
  const root = findRoot(text);
  if (root === undefined) throw notAFeed('neither XML nor JSON');
  let format = formatOfRoot(root.name);
  let document = text;
  let rootAt = root;
  if (format === undefined) {
    const embedded = embeddedFeed(text);
    const inner = embedded === undefined ? undefined : findRoot(embedded.text);
    if (embedded === undefined || inner === undefined) {
      const html = /^(?:html|head|body)$/.test(localName(root.name));
      const what = html ? 'an HTML page' : `XML with root element <${root.name}>`;
      throw notAFeed(what);
    }
    format = embedded.format;
    document = embedded.text;
    rootAt = inner;
  }
  if (tagScanCost(document) > MAX_TAG_SCAN_RATIO * document.length + 1_000_000) {
    throw new FeedError(
      'malformed',
      `The ${format.toUpperCase()} feed is not well-formed XML: it is full of "<" without a closing ">" (binary data or a broken generator); report it to the publisher.`,
    );
  }
  const complete = hasRootEnd(document, rootAt.name);
  const parsed = parseLeniently(document, format, rootAt, feedUrl);
  // A document cut off before its first item is a failure (a CMS error page half-rendered), not an
  // empty feed: reporting it as empty would hide the outage. One cut off inside an item is a feed
  // whose items (possibly none) were recovered.
  const itemStarted = new RegExp(`<(?:[\\w.-]+:)?${format === 'atom' ? 'entry' : 'item'}[\\s>/]`);
  if (!complete && parsed.items.length === 0 && !itemStarted.test(document)) {
    throw new FeedError(
      'malformed',
      `The ${format.toUpperCase()} feed is cut off: it has no items and no closing </${rootAt.name}> tag (the server may have failed while rendering it); try again later or report it to the publisher.`,
    );
  }
  return parsed;
}

/** The feed parsed strictly, else repaired (cut-off end), else item by item. */
function parseLeniently(
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
  if (document.startsWith('{') || document.startsWith('[')) return parseJson(document, feedUrl);
  if (isBinary(document.slice(0, 1024))) {
    throw notAFeed(
      'binary data (a compressed body, such as gzip served without Content-Encoding, or a file)',
    );
  }
  return parseXml(document, feedUrl);
}
