/**
 * Bytes of a fetched feed to text, like Miniflux's internal/reader/encoding: the byte order mark,
 * then valid UTF-8, then the declared charsets, then detection. Feeds lie about their encoding in
 * both directions (a prolog saying windows-1252 over UTF-8 bytes, a UTF-8 label over Latin-1
 * bytes, no label at all over KOI8-R), so every declaration is checked against the bytes before it
 * is believed. Runs in Node only (`Buffer`).
 */
import { analyse } from 'chardet';
import iconv from 'iconv-lite';

/** The outcome of {@link decodeFeed}. */
export interface DecodedFeed {
  /** The document as text, without a byte order mark and without junk before the markup. */
  text: string;
  /**
   * The WHATWG name of the encoding used, such as `utf-8`, `windows-1251` or `utf-16le`; `utf-32le`
   * or `utf-32be` (not WHATWG encodings) for UTF-32.
   */
  encoding: string;
}

/** How much of the body the charset detector reads; enough for a confident answer, and bounded. */
const DETECT_SAMPLE = 64 * 1024;

/** How far into the text an XML declaration is looked for after leading junk. */
const DECLARATION_SEARCH = 4096;

/**
 * Charsets the detector names whose WHATWG decoder lacks characters a superset has. ISO-8859-8 in
 * TextDecoder has no Hebrew points (niqqud), which windows-1255 has at 0xC0–0xD2; the detector
 * cannot tell the two apart.
 */
const SUPERSETS: Readonly<Record<string, string>> = { 'iso-8859-8': 'windows-1255' };

/**
 * A decoder for a charset label, or undefined when TextDecoder does not know the label. Labels
 * are WHATWG labels, so `latin1`/`iso-8859-1` decode as windows-1252 and `tis-620` as windows-874,
 * as browsers do.
 */
function decoderFor(label: string, fatal: boolean): TextDecoder | undefined {
  try {
    return new TextDecoder(label.trim(), { fatal });
  } catch {
    return undefined;
  }
}

/** The encodings TextDecoder both validates and decodes: V8's own UTF decoders, not ICU tables. */
const UNICODE_ENCODINGS: ReadonlySet<string> = new Set(['utf-8', 'utf-16le', 'utf-16be']);

/**
 * `bytes` as text in `encoding` (a WHATWG name, as `TextDecoder.encoding` gives it).
 *
 * Legacy charsets are decoded by iconv-lite, not TextDecoder: since Node 20.18.3 TextDecoder's
 * windows-1252 (and so ISO-8859-1, which WHATWG decodes as windows-1252) maps 0x80–0x9F to C1
 * controls instead of € “ ” ’ — ™, and those controls are later stripped as junk. iconv-lite's
 * tables are plain JavaScript, independent of the ICU Node was built with. It maps the five bytes
 * windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) to U+FFFD, a visible sign of a lost
 * character, where WHATWG gives invisible C1 controls.
 *
 * TextDecoder still runs first when `fatal`, because iconv-lite has no fatal mode: it substitutes
 * malformed multi-byte sequences (Shift_JIS, Big5) silently, and the caller relies on an error to
 * reject a wrong label. With `stream`, a character cut at the end is left out, not an error.
 *
 * @throws TypeError when `fatal` and the bytes are invalid in `encoding`.
 */
function decodeAs(
  bytes: Uint8Array,
  encoding: string,
  { fatal = false, stream = false }: { fatal?: boolean; stream?: boolean } = {},
): string {
  const native = new TextDecoder(encoding, { fatal }).decode(bytes, { stream });
  if (UNICODE_ENCODINGS.has(encoding) || !iconv.encodingExists(encoding)) return native;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A fresh decoder's write() keeps an incomplete trailing character back, as stream: true does.
  return stream ? iconv.getDecoder(encoding).write(buffer) : iconv.decode(buffer, encoding);
}

/** The text of `bytes` in `label`, or undefined if the label is unknown or the bytes invalid in it. */
function decodeStrict(bytes: Uint8Array, label: string): DecodedFeed | undefined {
  const encoding = decoderFor(label, true)?.encoding;
  if (encoding === undefined) return undefined;
  try {
    return { text: decodeAs(bytes, encoding, { fatal: true }), encoding };
  } catch {
    return undefined;
  }
}

/** The encoding a byte order mark names, with the length of the mark. */
function sniffBom(bytes: Uint8Array): { encoding: string; length: number } | undefined {
  const [b0, b1, b2, b3] = bytes;
  if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) return { encoding: 'utf-8', length: 3 };
  // Before UTF-16LE, whose mark FF FE is the start of UTF-32LE's FF FE 00 00.
  if (b0 === 0xff && b1 === 0xfe && b2 === 0 && b3 === 0)
    return { encoding: 'utf-32le', length: 4 };
  if (b0 === 0 && b1 === 0 && b2 === 0xfe && b3 === 0xff)
    return { encoding: 'utf-32be', length: 4 };
  if (b0 === 0xff && b1 === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (b0 === 0xfe && b1 === 0xff) return { encoding: 'utf-16be', length: 2 };
  return undefined;
}

/**
 * UTF-16 without a byte order mark, recognised as the XML spec's appendix F does: ASCII markup
 * (`<`, `{`, whitespace) alternating with zero bytes. Checked before UTF-8 because such bytes are
 * also valid UTF-8 (NUL is a valid character), which would decode to `<\0r\0s\0s\0`.
 */
function sniffUtf16(bytes: Uint8Array): string | undefined {
  if (bytes.length < 4) return undefined;
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0] = bytes;
  const ascii = (byte: number): boolean => byte > 0 && byte < 0x80;
  if (ascii(b0) && b1 === 0 && ascii(b2) && b3 === 0) return 'utf-16le';
  if (b0 === 0 && ascii(b1) && b2 === 0 && ascii(b3)) return 'utf-16be';
  return undefined;
}

/**
 * UTF-32 without a byte order mark, recognised by the zero bytes around its first character, which
 * for a feed is ASCII markup (`<`, `{`, whitespace): `3C 00 00 00` little-endian, `00 00 00 3C`
 * big-endian. Checked before UTF-16, whose pattern the little-endian form would otherwise half
 * match, and before UTF-8, in which NUL bytes are valid.
 */
function sniffUtf32(bytes: Uint8Array): string | undefined {
  if (bytes.length < 8) return undefined;
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0] = bytes;
  const ascii = (byte: number): boolean => byte > 0 && byte < 0x80;
  const zero = (...bytes: number[]): boolean => bytes.every((byte) => byte === 0);
  if (ascii(b0) && ascii(b4) && zero(b1, b2, b3, b5, b6, b7)) return 'utf-32le';
  if (ascii(b3) && ascii(b7) && zero(b0, b1, b2, b4, b5, b6)) return 'utf-32be';
  return undefined;
}

/**
 * UTF-32 text, which TextDecoder does not support. iconv-lite decodes it; a code unit beyond
 * U+10FFFF or a surrogate becomes U+FFFD, and a trailing partial unit is dropped.
 */
function decodeUtf32(bytes: Uint8Array, encoding: string): DecodedFeed {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { text: iconv.decode(buffer, encoding, { stripBOM: false }), encoding };
}

/** The `charset` parameter of a Content-Type header, if any. */
function charsetOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const match = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  const label = match?.[1] ?? match?.[2];
  return label === undefined || label === '' ? undefined : label;
}

/** The `encoding` of an XML declaration, read from the bytes as ASCII. */
function declaredEncoding(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  const match = /<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head);
  return match?.[1];
}

/** Whether a label names a UTF encoding, which the bytes have already been tested for. */
function isUnicodeLabel(label: string): boolean {
  const encoding = decoderFor(label, false)?.encoding;
  return encoding === 'utf-8' || encoding === 'utf-16le' || encoding === 'utf-16be';
}

/** Scripts that share words: Japanese mixes kanji and kana, Korean hangul and hanja. */
const SCRIPTS: readonly (readonly [string, RegExp])[] = [
  ['latin', /\p{Script=Latin}/u],
  ['cyrillic', /\p{Script=Cyrillic}/u],
  ['greek', /\p{Script=Greek}/u],
  ['hebrew', /\p{Script=Hebrew}/u],
  ['arabic', /\p{Script=Arabic}/u],
  ['thai', /\p{Script=Thai}/u],
  [
    'cjk',
    /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Bopomofo}]/u,
  ],
];

/**
 * Scripts written without spaces between words, where Latin letters run straight into native
 * ones ("SDガンダム", "PS2ってすごい").
 */
const SPACELESS: ReadonlySet<string | undefined> = new Set(['cjk', 'thai', undefined]);

const LETTER = /\p{L}/u;

function scriptOf(char: string): string | undefined {
  for (const [name, pattern] of SCRIPTS) if (pattern.test(char)) return name;
  return undefined;
}

/**
 * How many control characters `text` has: C0 other than tab, line feed, form feed and carriage
 * return, and C1 too when `c1`. Real text has none; binary data and wrong decodings do.
 */
function countControls(text: string, c1: boolean): number {
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    const c0 = code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d;
    if (c0 || (c1 && code >= 0x80 && code <= 0x9f)) count += 1;
  }
  return count;
}

/**
 * How much a decoding reads like real text, from 0 to 1: the share of its non-ASCII letters that
 * sit in plausible words. Wrong single-byte decodings garble in recognisable ways: Thai or Hebrew
 * bytes read as windows-1252 become words made only of accented Latin letters ("ÃÒ¤Ò"), Latin-1
 * read as KOI8-R puts Cyrillic letters inside ASCII words ("rИalitИ"). A word is plausible when
 * its non-ASCII letters share one script and, for Latin, when it is not made only of accented
 * letters (one alone, like "à", is fine); other scripts do not mix with ASCII letters inside a
 * word, except those written without spaces (CJK, Thai). The
 * detector's statistics cannot see this on short texts (it rates the TIS-620 fixture 11 for both
 * ISO-8859-1 and windows-874), so its ranking is checked with this. `undefined` when the text
 * has no non-ASCII letter to judge by.
 */
function plausibility(text: string): number | undefined {
  let judged = 0;
  let plausible = 0;
  for (const [word] of text.matchAll(/[\p{L}\p{M}]+/gu)) {
    let nonAscii = 0;
    let ascii = 0;
    const scripts = new Set<string>();
    for (const char of word) {
      if (char < '\u0080') {
        ascii += 1;
      } else if (LETTER.test(char)) {
        nonAscii += 1;
        const script = scriptOf(char);
        if (script !== undefined) scripts.add(script);
      }
    }
    if (nonAscii === 0) continue;
    judged += nonAscii;
    // The one script of the word's non-ASCII letters (undefined: letters of no particular script).
    const [script] = scripts;
    const coherent =
      scripts.size === 1 &&
      (script === 'latin' ? ascii > 0 || nonAscii === 1 : ascii === 0 || SPACELESS.has(script));
    if (coherent) plausible += nonAscii;
  }
  // Control characters (C1, or C0 other than whitespace) are never text: a wrong decoding.
  const controls = countControls(text, true);
  if (judged === 0) return controls > 0 ? 0 : undefined;
  return plausible / (judged + controls);
}

/** The text content of a markup document's bytes, for the detector: markup is ASCII noise to it. */
function textBytes(bytes: Uint8Array): Uint8Array {
  // '<' and '>' are never trail bytes of Shift_JIS, Big5, EUC or GB18030, so this is safe on
  // multi-byte encodings too.
  const latin1 = Buffer.from(bytes.subarray(0, DETECT_SAMPLE)).toString('latin1');
  const text = latin1
    .replace(/<!--[\s\S]*?(?:-->|$)/g, ' ')
    .replace(/<[^<>]*>/g, ' ')
    .replace(/&#?\w+;/g, ' ');
  return Buffer.from(text, 'latin1');
}

/**
 * The {@link plausibility} of a sample decoded in `encoding`, or undefined when the sample is
 * invalid in it. Streaming, so a character cut at the end of the sample is not an error.
 */
function probe(sample: Uint8Array, encoding: string): number | undefined {
  try {
    return plausibility(decodeAs(sample, encoding, { fatal: true, stream: true }));
  } catch {
    return undefined;
  }
}

/**
 * The legacy encoding of undeclared non-UTF-8 bytes, by `chardet` cross-checked with
 * {@link plausibility}: the candidates TextDecoder supports that decode the bytes without error,
 * best plausibility first, then the detector's confidence. Only a confident answer (plausibility
 * of at least 0.8) is taken.
 */
function detectLegacy(bytes: Uint8Array): DecodedFeed | undefined {
  const sample = textBytes(bytes);
  let best: { decoded: DecodedFeed; rank: number } | undefined;
  const tried = new Set<string>();
  for (const match of analyse(sample)) {
    if (match.confidence < 5) continue;
    const known = decoderFor(match.name, false)?.encoding;
    if (known === undefined || known.startsWith('utf-')) continue;
    const encoding = SUPERSETS[known] ?? known;
    if (tried.has(encoding)) continue;
    tried.add(encoding);
    const score = probe(sample, encoding);
    if (score === undefined || score < 0.8) continue;
    const rank = Math.round(score * 10);
    if (best === undefined || rank > best.rank) {
      const decoded = decodeStrict(bytes, encoding);
      if (decoded !== undefined) best = { decoded, rank };
    }
  }
  return best?.decoded;
}

/**
 * The text without what comes before the document: a newline or comment before `<?xml` (which
 * strict parsers reject), whitespace or a server's stray notice before the root element. JSON is
 * only trimmed of leading whitespace. Binary junk is left alone for the parser to reject.
 */
function trimLeadingJunk(text: string): string {
  const start = text.search(/\S/);
  if (start === -1) return '';
  const first = text[start];
  if (first === '{' || first === '[') return text.slice(start);
  const declaration = text.slice(0, DECLARATION_SEARCH).search(/<\?xml\s/);
  // Only when nothing before it is an element: an XML declaration later in a document (inside
  // CDATA, say) is content, not the start.
  if (declaration > 0 && !/<[A-Za-z]/.test(text.slice(0, declaration))) {
    return text.slice(declaration);
  }
  const lt = text.indexOf('<');
  if (lt > start && lt <= DECLARATION_SEARCH) {
    const junk = text.slice(0, lt);
    if (countControls(junk, false) === 0) return text.slice(lt);
  }
  return text.slice(start);
}

/**
 * Decodes a fetched feed body to text. Never throws: any bytes give some text.
 *
 * The encoding is chosen in this order, each step checked against the bytes:
 * 1. a byte order mark (UTF-8, UTF-16LE/BE, UTF-32LE/BE), or UTF-32 or UTF-16 recognised by its
 *    zero bytes;
 * 2. UTF-8, when the bytes are valid UTF-8, whatever a label says (a prolog saying windows-1252 over
 *    UTF-8 bytes is a common lie);
 * 3. the `charset` of `contentType` (the HTTP header), if TextDecoder knows it and the bytes are
 *    valid in it;
 * 4. the `encoding` of the XML declaration, likewise;
 * 5. `chardet` detection, taken only when confident and supported by TextDecoder;
 * 6. windows-1252, which decodes any bytes.
 *
 * The text is then trimmed of junk before the document (a newline or comment before `<?xml`).
 *
 * @param body The response body, after any Content-Encoding (gzip) has been undone.
 * @param contentType The Content-Type header, e.g. `application/rss+xml; charset=windows-1251`.
 */
export function decodeFeed(body: Uint8Array, contentType?: string): DecodedFeed {
  const decoded = chooseDecoding(body, contentType);
  return { text: trimLeadingJunk(decoded.text), encoding: decoded.encoding };
}

function chooseDecoding(body: Uint8Array, contentType: string | undefined): DecodedFeed {
  const bom = sniffBom(body);
  if (bom !== undefined) {
    const rest = body.subarray(bom.length);
    if (bom.encoding.startsWith('utf-32')) return decodeUtf32(rest, bom.encoding);
    const decoder = new TextDecoder(bom.encoding);
    return { text: decoder.decode(rest), encoding: decoder.encoding };
  }
  const utf32 = sniffUtf32(body);
  if (utf32 !== undefined) return decodeUtf32(body, utf32);
  const utf16 = sniffUtf16(body);
  if (utf16 !== undefined) {
    return { text: new TextDecoder(utf16).decode(body), encoding: utf16 };
  }
  const utf8 = decodeStrict(body, 'utf-8');
  if (utf8 !== undefined) return utf8;

  // The bytes are not UTF-8, so a UTF label is known to be wrong: skip it.
  for (const label of [charsetOf(contentType), declaredEncoding(body)]) {
    if (label === undefined || isUnicodeLabel(label)) continue;
    const known = decoderFor(label, false)?.encoding;
    const declared = known === undefined ? undefined : decodeStrict(body, known);
    if (declared !== undefined) return declared;
  }

  // NUL bytes outside UTF-16 mean binary data (a gzip body that was not inflated, an image):
  // detection would only guess, and windows-1252 keeps the control bytes visible to the parser.
  if (!body.includes(0)) {
    const detected = detectLegacy(body);
    if (detected !== undefined) return detected;
  }
  return { text: decodeAs(body, 'windows-1252'), encoding: 'windows-1252' };
}
