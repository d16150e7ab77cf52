/**
 * What a document is, read from its text before any parser sees it (never from the URL or the
 * Content-Type): binary data, where its root element starts and which format that names, a feed
 * embedded in a page, a prolog's DTD (dropped), a cut-off end, and the text that would make an XML
 * tokenizer take quadratic time.
 */
import { notAFeed } from './feed-error.js';

/** The feed formats written in XML, each mapped by its own module in workers/poll/parse/. */
export type XmlFormat = 'rss' | 'atom' | 'rdf';

/**
 * The start of a file format that is never a feed, as it reads once decoded: bytes 0x80–0xFF may
 * have become windows-1252 characters (0x8B is "‹", 0x89 is "‰") or U+FFFD.
 */
/* eslint-disable no-control-regex -- magic numbers are made of control bytes */
const MAGIC_NUMBERS: readonly RegExp[] = [
  /^\u001F[\u008B\u2039\uFFFD]/, // gzip
  /^[\u0089\u2030\uFFFD]PNG\r\n/, // PNG
  /^GIF8[79]a/, // GIF
  /^[\u00FF\uFFFD][\u00D8\uFFFD][\u00FF\uFFFD]/, // JPEG
  /^RIFF[\s\S]{4}WEBP/, // WebP
  /^PK\u0003\u0004/, // ZIP (and docx, epub, jar)
  /^%PDF-/, // PDF
  /^BZh[1-9]/, // bzip2
  /^[\u00FD\uFFFD]7zXZ\u0000/, // xz
  /^7z[\u00BC\uFFFD]/, // 7-Zip
  /^\((?:\u00B5|\uFFFD)\/(?:\u00FD|\uFFFD)/, // Zstandard
];
/* eslint-enable no-control-regex */

/**
 * Whether text is binary data (a gzip body served without Content-Encoding, an image, an archive)
 * rather than a document: it starts with a known magic number, or its control characters are too
 * many to be strays. A feed with a stray control character (a vertical tab pasted into a
 * description) is a feed: {@link withoutForbiddenChars} removes it. Pass the first kilobyte or so.
 */
export function isBinary(sample: string): boolean {
  if (MAGIC_NUMBERS.some((magic) => magic.test(sample))) return true;
  let nuls = 0;
  let controls = 0;
  for (let i = 0; i < sample.length; i += 1) {
    const code = sample.charCodeAt(i);
    if (code === 0) nuls += 1;
    if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) controls += 1;
  }
  // Text has no NUL at all, and a few C0 controls in a kilobyte are strays; random bytes have about
  // 11% C0 controls, and binary formats are full of NULs (UTF-16/32 text is decoded before this).
  return nuls >= Math.max(4, sample.length / 100) || controls >= Math.max(8, sample.length / 20);
}

/**
 * Characters XML 1.0 forbids (§2.2): C0 controls other than tab, line feed and carriage return,
 * and the noncharacters U+FFFE and U+FFFF. JSON forbids the same controls unescaped in strings.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/**
 * The text without the characters XML forbids, so that one stray control character does not
 * make the parser reject the whole feed. Vertical tab and form feed become a space, as they
 * separate words where they appear ("Breaking\vNews" should not read "BreakingNews"); the others
 * are dropped.
 */
export function withoutForbiddenChars(text: string): string {
  return text.replace(FORBIDDEN_CHARS, (char) =>
    char === '\u000B' || char === '\u000C' ? ' ' : '',
  );
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
export function tagScanCost(text: string): number {
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
export const MAX_TAG_SCAN_RATIO = 64;

/** Whether the root element is closed, i.e. the document was not cut off. */
export function hasRootEnd(text: string, rootName: string): boolean {
  return new RegExp(`</${rootName.replace(/[.]/g, '\\.')}\\s*>`).test(text.slice(-4096));
}

/** Where the feed of an XML document is: the text to parse, its format and its root element. */
export interface SniffedXml {
  /** The document without its DTD; only the feed when the feed is embedded in a page. */
  document: string;
  format: XmlFormat;
  /** The qualified name of the feed's root element and where its start tag begins. */
  root: { name: string; index: number };
}

/**
 * Finds the feed of an XML document: its root element names the format (`rss`, `feed`, `RDF`),
 * or, in a page, an embedded `<feed>` or `<rss>` does. The DTD is dropped first.
 *
 * @throws FeedError `not_a_feed` when the text is not XML, or is XML (an HTML page included) with
 *   no feed inside.
 */
export function sniffXml(original: string): SniffedXml {
  const found = findRoot(original);
  const text = found === undefined ? original : withoutDoctype(original, found.index);
  const root = findRoot(text);
  if (root === undefined) throw notAFeed('neither XML nor JSON');
  const format = formatOfRoot(root.name);
  if (format !== undefined) return { document: text, format, root };
  const embedded = embeddedFeed(text);
  const inner = embedded === undefined ? undefined : findRoot(embedded.text);
  if (embedded === undefined || inner === undefined) {
    const html = /^(?:html|head|body)$/.test(localName(root.name));
    const what = html ? 'an HTML page' : `XML with root element <${root.name}>`;
    throw notAFeed(what);
  }
  return { document: embedded.text, format: embedded.format, root: inner };
}
