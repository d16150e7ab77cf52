/**
 * Plain text out of the HTML fragments producers put in titles, summaries and author names.
 */
import { Parser } from 'htmlparser2';

/**
 * Elements whose contents are never text a reader sees, dropped with everything inside:
 * - `script`, `style`, `template`: code, CSS and inert markup (SPEC).
 * - `noscript`: fallback for browsers without JavaScript ("please enable JavaScript",
 *   tracking pixels); the same page shows other text to everyone else.
 * - `iframe`, `noembed`, `noframes`, `object`: fallback for embeds, not article text.
 * - `svg`, `math`: inline icons and formulas; their `<title>`/`<desc>` would leak labels like
 *   "Share icon" into a headline.
 *
 * `textarea` and `title` are kept: their contents are visible text (htmlparser2 already reads
 * them as text, so no markup inside them can leak), and dropping them would lose words.
 */
const DROPPED = new Set([
  'script',
  'style',
  'template',
  'noscript',
  'iframe',
  'noembed',
  'noframes',
  'object',
  'svg',
  'math',
]);

/** Elements that end a word: their start and end tags count as a space. */
const BREAKS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'br',
  'caption',
  'dd',
  'details',
  'dialog',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hgroup',
  'hr',
  'img',
  'li',
  'main',
  'nav',
  'ol',
  'option',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'title',
  'tr',
  'ul',
]);

/**
 * Control characters that carry no text: C0 except tab, line feed, vertical tab, form feed and
 * carriage return (whitespace, collapsed below), DEL, C1 except U+0085 NEXT LINE (whitespace),
 * U+FEFF, a byte-order mark left over from concatenated files, and the bidi embeddings,
 * overrides and isolates (U+202A–U+202E, U+2066–U+2069), which can make a headline read
 * differently than it is written. The marks U+200E/U+200F (and U+061C) stay: Urdu, Arabic and
 * mixed Hindi-English text needs them, and they cannot reorder what follows them.
 */
const CONTROLS =
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  /[\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\uFEFF\u202A-\u202E\u2066-\u2069]/g;

/** A UTF-16 surrogate without its partner: not a character, and not encodable as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A run of whitespace (Unicode `White_Space`) and zero-width spaces (U+200B), in any mix. */
const BLANK_RUN = /[\p{White_Space}\u200B]+/gu;
const WHITE_SPACE = /\p{White_Space}/u;
const ZWSP = '\u200B';
/** What makes a string more than text: a tag (or comment) or a character reference. */
const MARKUP = /[<&]/;

/** The open dropped elements and the text outside them, fed by {@link FlatParser}. */
class TextCollector {
  private readonly parts: string[] = [];
  /** Open dropped elements, innermost last. */
  private readonly open: string[] = [];
  /** How many of each dropped element are open, so that a stray end tag is ignored in O(1). */
  private readonly openCounts = new Map<string, number>();

  text(data: string): void {
    if (this.open.length === 0) this.parts.push(data);
  }

  startTag(name: string): void {
    if (DROPPED.has(name)) {
      this.open.push(name);
      this.openCounts.set(name, (this.openCounts.get(name) ?? 0) + 1);
    } else if (BREAKS.has(name)) {
      this.text(' ');
    }
  }

  /** Like HTML: an end tag closes its element and every element opened inside it. */
  endTag(name: string): void {
    if (!DROPPED.has(name)) {
      if (BREAKS.has(name)) this.text(' ');
      return;
    }
    if (!this.openCounts.get(name)) return;
    let closed: string | undefined;
    do {
      closed = this.open.pop();
      if (closed !== undefined) this.openCounts.set(closed, (this.openCounts.get(closed) ?? 1) - 1);
    } while (closed !== undefined && closed !== name);
  }

  result(): string {
    return this.parts.join('');
  }
}

/**
 * htmlparser2's `Parser` without its element stack. Its stack costs time proportional to the
 * nesting depth for every tag (a megabyte of `<b><b><b>…` takes seconds), and tree structure does
 * not matter here: only whether the text is inside a dropped element, which {@link TextCollector}
 * tracks in O(1) per tag. So every element is treated as void (never pushed), and end tags,
 * which the base class would then ignore, are reported from the tokenizer's event.
 *
 * The whole input must be given to one `write`: the end-tag name is read from `source` by the
 * tokenizer's indexes.
 */
class FlatParser extends Parser {
  constructor(
    private readonly source: string,
    private readonly collector: TextCollector,
  ) {
    super(
      {
        onopentagname: (name) => {
          collector.startTag(name);
        },
        ontext: (data) => {
          collector.text(data);
        },
      },
      { decodeEntities: true },
    );
  }

  protected override isVoidElement(): boolean {
    return true;
  }

  /** @internal Called by the tokenizer for `</name>`. */
  override onclosetag(start: number, endIndex: number): void {
    this.collector.endTag(this.source.slice(start, endIndex).toLowerCase());
    super.onclosetag(start, endIndex);
  }
}

/** Characters of the text nodes outside dropped elements, with a space for each word break. */
function collectText(html: string): string {
  const collector = new TextCollector();
  const parser = new FlatParser(html, collector);
  parser.write(html);
  parser.end();
  return collector.result();
}

/** Drops spaces and zero-width spaces at both ends (in linear time, unlike a `[…]+$` regex). */
function trimBlanks(text: string): string {
  const isBlank = (char: string | undefined): boolean => char === ' ' || char === ZWSP;
  let start = 0;
  let end = text.length;
  while (start < end && isBlank(text[start])) start += 1;
  while (end > start && isBlank(text[end - 1])) end -= 1;
  return text.slice(start, end);
}

/**
 * True when `text` is printable ASCII with single spaces between words and none at the ends:
 * what {@link tidyText} would hand back unchanged (ASCII is its own NFC). Most English
 * headlines and summaries are, and this loop costs a fraction of the regular expressions.
 */
function isTidyAscii(text: string): boolean {
  let previous = 0x20; // as if a space came before: a leading space fails
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || (code === 0x20 && previous === 0x20)) return false;
    previous = code;
  }
  return previous !== 0x20 || text.length === 0;
}

/**
 * Tidy text that is already plain: lone surrogates become U+FFFD, control characters go, every
 * run of whitespace becomes one space, the ends are trimmed and the result is NFC.
 *
 * A zero-width space (U+200B) between two letters is kept: Thai, Khmer and Lao mark word
 * boundaries with it. Next to whitespace or at either end it only adds invisible noise, so it
 * goes with the whitespace. U+200C/U+200D (ZWNJ/ZWJ) are never touched: they shape Devanagari
 * and other scripts.
 */
function tidyText(text: string): string {
  if (isTidyAscii(text)) return text;
  const collapsed = text
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(CONTROLS, '')
    .replace(BLANK_RUN, (run) => (WHITE_SPACE.test(run) ? ' ' : run));
  return trimBlanks(collapsed).normalize('NFC');
}

/**
 * The text a reader sees in an HTML fragment.
 *
 * Tags and comments are removed; the contents of `script`, `style`, `template`, `noscript`,
 * `iframe`, `noembed`, `noframes`, `object`, `svg` and `math` are dropped; entities are decoded
 * (all HTML5 named entities, such as `&nbsp;` and `&hellip;`, and numeric ones); block elements
 * (`p`, `br`, `div`, `li`, headings, table cells, …) separate words; then the text is tidied
 * by {@link tidyText}: whitespace collapsed to single spaces, trimmed, NFC.
 *
 * Never throws: unclosed tags, a lone `<`, `<<>>` and megabyte strings are all fine (the parser
 * is linear and forgiving; an unclosed dropped element drops the rest of the input).
 *
 * Not idempotent: `a &lt;b&gt; c` becomes `a <b> c`, which would lose `<b>` if stripped again.
 *
 * @example htmlToText('<p>Flood&nbsp;alert</p><p>Patna&hellip;</p>') // 'Flood alert Patna…'
 */
export function htmlToText(html: string): string {
  // Without a tag or an entity the parser would hand the text back as it is.
  return tidyText(MARKUP.test(html) ? collectText(html) : html);
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * The inverse of {@link htmlToText}: text made safe for HTML or XML element content and for a
 * double- or single-quoted attribute value (the embed fragment, a feed item's plain-text fields
 * on their way to normalizeArticle, decoded Atom 0.3 text put back into a document).
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}
