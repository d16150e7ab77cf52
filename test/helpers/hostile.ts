import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';

/**
 * fast-check arbitraries of hostile input for the fuzz test: text that breaks naive string
 * handling, JSON of every shape and depth, bodies that lie about their type or encoding, paths
 * and query strings that are not what a router expects. The URLs written here are loopback ones:
 * sent to POST /api/sources, none names a host that would be fetched.
 */

/**
 * JSON text spliced into a body as it is: nesting deeper than JSON.stringify (recursive) can
 * write, numbers it would never write, duplicate keys, `__proto__`. Printed short in a
 * counterexample.
 */
export class RawJson {
  constructor(
    readonly text: string,
    private readonly name = text.length > 80
      ? `${text.slice(0, 60)}… (${text.length} chars)`
      : text,
  ) {}

  [fc.toStringMethod](): string {
    return `RawJson(${JSON.stringify(this.name)})`;
  }
}

/** `prefix` and `times` copies of `piece`, made only when sent, so a counterexample stays short. */
export class Huge {
  constructor(
    readonly piece: string,
    readonly times: number,
    readonly prefix = '',
  ) {}

  get text(): string {
    return this.prefix + this.piece.repeat(this.times);
  }

  [fc.toStringMethod](): string {
    return `${JSON.stringify(this.prefix)} + ${JSON.stringify(this.piece)}.repeat(${this.times})`;
  }
}

/** Arrays `depth` deep, made only when sent: for clients that serialise values (Socket.IO). */
export class Nested {
  constructor(readonly depth: number) {}

  get value(): unknown {
    let value: unknown = 1;
    for (let i = 0; i < this.depth; i++) value = [value];
    return value;
  }

  get text(): string {
    return `${'['.repeat(this.depth)}1${']'.repeat(this.depth)}`;
  }

  [fc.toStringMethod](): string {
    return `Nested(${this.depth})`;
  }
}

/** Characters that break something somewhere: controls, lone surrogates, bidi, markup, escapes. */
const SPECIALS = [
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\r\n',
  '\t',
  '\u0085',
  '\u2028',
  '\u2029',
  '\uD800',
  '\uDBFF',
  '\uDC00',
  '\uDFFF',
  '\uDC00\uD800',
  '\u202E',
  '\u202D',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u200E',
  '\u200F',
  '\u061C',
  '\u200B',
  '\u200D',
  '\uFEFF',
  '\uFFFD',
  '\uFFFE',
  '\uFFFF',
  '\u0301\u0301\u0301',
  '\u{10FFFF}',
  '\u{E0001}',
  'مرحبا بالعالم',
  'שָׁלוֹם',
  'क्‍ष',
  'नमस्ते',
  '👩🏽‍💻',
  '🇮🇳',
  'İ',
  'ß',
  'ﬃ',
  'ﷺ',
  'Ⅻ',
  '<script>alert(1)</script>',
  '<b>',
  '</',
  '<!--',
  ']]>',
  '&amp;',
  '&#0;',
  '&#xD800;',
  '&#1114112;',
  '&nbsp;',
  '&lol;',
  '%',
  '%00',
  '%E0%A4',
  '\\',
  '\\u0000',
  '"',
  "'",
  '`',
  '${x}',
  '{{x}}',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'null',
  'NaN',
  '-0',
  '1e999',
  ' ',
  '',
] as const;

const specialChar = fc.constantFrom(...SPECIALS);

/** Strings mixing ordinary text with the specials, of any Unicode (lone surrogates included). */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(
        fc.oneof(
          specialChar,
          fc.string({ maxLength: 6 }),
          fc.string({ unit: 'binary', maxLength: 3 }),
          fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)),
          fc.integer({ min: 0, max: 0x1f }).map((unit) => String.fromCharCode(unit)),
        ),
        { maxLength: 16 },
      )
      .map((parts) => parts.join('')),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 48 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 48 }) },
);

/** Very long text: over every field limit, some of it over the 1 MiB body limit. */
export const hugeText: fc.Arbitrary<Huge> = fc
  .record({
    piece: fc.constantFrom('a', 'क', '\uD800', '<b>', '&amp;', '👩🏽‍💻', ' ', '\u0000', 'a '),
    times: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 290, max: 3000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 3000, max: 160_000 }) },
    ),
  })
  .map(({ piece, times }) => new Huge(piece, times));

export const hostileText: fc.Arbitrary<string | Huge> = fc.oneof(
  { weight: 8, arbitrary: hostileString },
  { weight: 1, arbitrary: hugeText },
);

/** `depth` levels of arrays or objects, as text (a value that deep would overflow JSON.stringify). */
export const deepJson: fc.Arbitrary<RawJson> = fc
  .record({
    depth: fc.oneof(fc.integer({ min: 50, max: 2000 }), fc.integer({ min: 2000, max: 120_000 })),
    shape: fc.constantFrom('array', 'object', 'mixed'),
  })
  .map(({ depth, shape }) => {
    const open = shape === 'array' ? '[' : shape === 'object' ? '{"a":' : '[{"a":';
    const close = shape === 'array' ? ']' : shape === 'object' ? '}' : '}]';
    const levels = shape === 'mixed' ? Math.ceil(depth / 2) : depth;
    return new RawJson(`${open.repeat(levels)}1${close.repeat(levels)}`);
  });

/** JSON that JSON.stringify never writes but JSON.parse reads. */
const oddJson = fc.constantFrom(
  new RawJson('1e400'),
  new RawJson('-1e400'),
  new RawJson('-0'),
  new RawJson('123456789012345678901234567890'),
  new RawJson('0.0000000000000000000000000001'),
  new RawJson('9007199254740993'),
  new RawJson('{"a":1,"a":{"b":2}}'),
  new RawJson('{"__proto__":{"title":"polluted","articles":[]}}'),
  new RawJson('{"constructor":{"prototype":{"url":"http://127.0.0.1/p"}}}'),
  new RawJson('"\\ud800\\udc00\\ud800"'),
  new RawJson('"\\u0000"'),
  new RawJson('"\\/\\b\\f\\n\\r\\t"'),
);

function wrongTypes(deep: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
    fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
    deep,
    oddJson,
  );
}

/** A value of the wrong type for any field of a JSON body. */
export const wrongType: fc.Arbitrary<unknown> = wrongTypes(deepJson);

/**
 * The same for values a client library serialises: nesting a thousand deep at most, since
 * socket.io-client walks a payload recursively. (Raw packets, made with {@link jsonText}, go deeper.)
 */
export const nested: fc.Arbitrary<Nested> = fc
  .integer({ min: 20, max: 1000 })
  .map((depth) => new Nested(depth));
export const shallowWrongType: fc.Arbitrary<unknown> = wrongTypes(nested);

/** Any JSON value, and anything fast-check can make once mapped to JSON (Maps, BigInts, …). */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc
    .anything({
      maxDepth: 3,
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
      stringUnit: 'binary',
    })
    .map((value) => {
      const text = JSON.stringify(value, (_key, v: unknown) =>
        typeof v === 'bigint' ? v.toString() : v,
      ) as string | undefined;
      return text === undefined ? null : (JSON.parse(text) as unknown);
    }),
);

/** `value` as JSON text, splicing RawJson and Huge in; a shallow walk, so depth is no problem. */
export function jsonText(value: unknown): string {
  if (value instanceof RawJson || value instanceof Nested) return value.text;
  if (value instanceof Huge) return JSON.stringify(value.text);
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    // As JSON.stringify does: a key whose value is undefined is left out.
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`);
    return `{${entries.join(',')}}`;
  }
  // What JSON cannot hold (undefined, in an array) is null, as JSON.stringify writes it.
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol')
    return 'null';
  return JSON.stringify(value);
}

/** `value` with RawJson parsed, Huge and Nested made: what a client library can send. */
export function plainValue(value: unknown): unknown {
  if (value instanceof RawJson) return JSON.parse(value.text) as unknown;
  if (value instanceof Huge) return value.text;
  if (value instanceof Nested) return value.value;
  if (Array.isArray(value)) return value.map(plainValue);
  // Plain objects only: binary data and a caller's own markers stay as they are.
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValue(v)]));
  }
  return value;
}

/* ---------------------------------------------------------------------------------------------
 * Bodies
 * ------------------------------------------------------------------------------------------- */

/** Text that is not JSON, or not all of it. */
export const invalidJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '{',
    '{"url":',
    '{"url": "http://127.0.0.1/x", ',
    "{'url': 'http://127.0.0.1/x'}",
    '[1,]',
    '{"a":1,}',
    'NaN',
    'Infinity',
    'undefined',
    '{"a":1}{"b":2}',
    '\uFEFF{"url":"http://127.0.0.1/bom","title":"BOM"}',
    '/* comment */ {}',
    '"\\u00"',
    '"\\x41"',
    '01',
    '.5',
    '+1',
    '-',
    'tru',
    '\u0000',
    '{"title":"\u0000\u0001"}',
    '{"url":"http://127.0.0.1/raw-newline\n"}',
  ),
  fc.json().map((text) => text.slice(0, Math.max(0, text.length - 1))),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** A body as bytes: JSON text, text that is not JSON, or bytes that are not UTF-8. */
export type BodyText =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'bad-utf8'; before: string; bytes: Uint8Array; after: string };

/** Byte sequences that are not UTF-8: lone continuation bytes, overlongs, CESU surrogates, > U+10FFFF. */
const badUtf8 = fc.oneof(
  fc.constantFrom(
    Uint8Array.of(0x80),
    Uint8Array.of(0xc3, 0x28),
    Uint8Array.of(0xc0, 0xaf),
    Uint8Array.of(0xe0, 0x80, 0xaf),
    Uint8Array.of(0xed, 0xa0, 0x80),
    Uint8Array.of(0xed, 0xbf, 0xbf),
    Uint8Array.of(0xf4, 0x90, 0x80, 0x80),
    Uint8Array.of(0xf8, 0x88, 0x80, 0x80, 0x80),
    Uint8Array.of(0xff, 0xfe),
    Uint8Array.of(0xe0, 0xa4),
  ),
  fc.uint8Array({ minLength: 1, maxLength: 12 }),
);

export function bodyText(valueArb: fc.Arbitrary<unknown>): fc.Arbitrary<BodyText> {
  return fc.oneof(
    { weight: 12, arbitrary: valueArb.map((value) => ({ kind: 'json' as const, value })) },
    { weight: 2, arbitrary: invalidJsonText.map((text) => ({ kind: 'text' as const, text })) },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 300 })
        .map((bytes) => ({ kind: 'bytes' as const, bytes })),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({
          before: fc.constantFrom('{"url":"http://127.0.0.1/u8","title":"', '{"url":"', '"'),
          bytes: badUtf8,
          after: fc.constantFrom('"}', '","title":"t"}', ''),
        })
        .map((parts) => ({ kind: 'bad-utf8' as const, ...parts })),
    },
  );
}

export function bodyBytes(body: BodyText): Buffer {
  switch (body.kind) {
    case 'json':
      return Buffer.from(jsonText(body.value), 'utf8');
    case 'text':
      return Buffer.from(body.text, 'utf8');
    case 'bytes':
      return Buffer.from(body.bytes);
    case 'bad-utf8':
      return Buffer.concat([
        Buffer.from(body.before, 'utf8'),
        body.bytes,
        Buffer.from(body.after, 'utf8'),
      ]);
  }
}

/** What a body claims to be: its Content-Type and its Content-Encoding (applied or not). */
export interface Envelope {
  contentType: string | null;
  /**
   * `gzip`, `deflate` and `br` compress the body; `gzip-bomb` sends 8 MiB of spaces in 8 KiB
   * instead of it; `lie:…` names an encoding without applying it.
   */
  encoding: null | 'gzip' | 'deflate' | 'br' | 'gzip-bomb' | `lie:${string}`;
}

export const envelope: fc.Arbitrary<Envelope> = fc.record({
  contentType: fc.oneof(
    { weight: 20, arbitrary: fc.constant('application/json') },
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        'application/json; charset=utf-8',
        'APPLICATION/JSON',
        'application/json; charset=utf-16le',
        'application/json; charset=utf-32',
        'application/json; charset=latin1',
        'application/json; charset=""',
        'application/json; charset',
        'application/json;;;',
        'application/json; boundary=x; charset=utf-8; charset=latin1',
        'application/vnd.api+json',
        'application/merge-patch+json',
        'text/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=----x',
        'application/octet-stream',
        '*/*',
        '',
        'application',
        '/json',
        '\u00e9/\u00ff',
      ),
    },
    { weight: 2, arbitrary: fc.constant(null) },
  ),
  encoding: fc.oneof(
    { weight: 16, arbitrary: fc.constant(null) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'gzip' as const,
        'deflate' as const,
        'br' as const,
        'gzip-bomb' as const,
      ),
    },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom('gzip', 'deflate', 'br', 'identity', 'compress', 'gzip, gzip', ' GZIP ', 'x')
        .map((name) => `lie:${name}` as const),
    },
  ),
});

let bomb: Buffer | undefined;

/** Content-Encoding applied to `bytes` as the envelope says. */
export function encodeBody(bytes: Buffer, encoding: Envelope['encoding']): Buffer {
  switch (encoding) {
    case 'gzip-bomb':
      return (bomb ??= gzipSync(Buffer.alloc(8 << 20, ' ')));
    case 'gzip':
      return gzipSync(bytes);
    case 'deflate':
      return deflateSync(bytes);
    case 'br':
      return brotliCompressSync(bytes);
    default:
      return bytes;
  }
}

export function encodingHeader(encoding: Envelope['encoding']): string | undefined {
  if (encoding === null) return undefined;
  if (encoding === 'gzip-bomb') return 'gzip';
  return encoding.startsWith('lie:') ? encoding.slice(4) : encoding;
}

/* ---------------------------------------------------------------------------------------------
 * Paths and query strings
 * ------------------------------------------------------------------------------------------- */

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** `text` percent-encoded byte by byte (UTF-8; a lone surrogate becomes U+FFFD's bytes). */
export function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += UNRESERVED.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Percent-encoding that does not decode to UTF-8, or does not decode at all. */
export const malformedPercent: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '%',
        '%%',
        '%G0',
        '%0',
        '%E0%A4',
        '%C0%AF',
        '%ED%A0%80',
        '%F4%90%80%80',
        '%FF%FE',
        '%80',
        '%00',
        '%2F',
        '%5C',
        '%2e%2e',
        '%252F',
        '%u0041',
      ),
      fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).padStart(2, '0')}`),
      fc.stringMatching(/^[a-z0-9]{1,4}$/),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.join(''));

/** Printable bytes as they are in a request line (latin1), without the path's own delimiters. */
const rawLatin1 = fc
  .array(
    fc
      .integer({ min: 0x21, max: 0xff })
      .filter((b) => b !== 0x2f && b !== 0x3f && b !== 0x23 && b !== 0x7f),
    { minLength: 1, maxLength: 12 },
  )
  .map((bytes) => String.fromCharCode(...bytes));

/** One path segment as sent: encoded text, broken encoding, raw bytes, dot segments, long runs. */
export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: hostileString.map(percentEncode) },
  { weight: 3, arbitrary: malformedPercent },
  { weight: 1, arbitrary: rawLatin1 },
  {
    weight: 1,
    arbitrary: fc.constantFrom('..', '.', '', ';', '*', '~', '@', ':', '%20', '+', 'null', '0'),
  },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n) => 'a'.repeat(n)) },
);

/** A query string: known and unknown names, repeated, bracketed, with broken encoding. */
export function queryString(names: readonly string[], values: fc.Arbitrary<string>) {
  const name = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...names) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        ...names.map((n) => `${n}[]`),
        ...names.map((n) => `${n}[0]`),
        '__proto__',
        'constructor',
        'hasOwnProperty',
        '',
      ),
    },
    { weight: 1, arbitrary: hostileString.map(percentEncode) },
    { weight: 1, arbitrary: malformedPercent },
  );
  const value = fc.oneof(
    { weight: 5, arbitrary: values },
    { weight: 2, arbitrary: hostileString.map(percentEncode) },
    { weight: 2, arbitrary: malformedPercent },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 8000 }).map((n) => '9'.repeat(n)) },
  );
  return fc
    .record({
      pairs: fc.array(fc.tuple(name, fc.option(value, { nil: undefined })), { maxLength: 6 }),
      separator: fc.constantFrom('&', '&', '&', '&&', ';'),
    })
    .map(({ pairs, separator }) =>
      pairs.map(([n, v]) => (v === undefined ? n : `${n}=${v}`)).join(separator),
    );
}

/** Authorization header values that are not a valid token, plus the absent header. */
export const badAuthorization: fc.Arbitrary<string | null> = fc.oneof(
  fc.constant(null),
  fc.constantFrom(
    '',
    'Bearer',
    'Bearer ',
    'bearer',
    'Basic dXNlcjpwYXNz',
    'Token abc',
    'Bearer a b',
    'Bearer wrong-token-000000000000',
    'Bearer \u00ff\u00fe\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9',
  ),
  fc.stringMatching(/^[!-~]{1,64}$/).map((token) => `Bearer ${token}`),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => `Bearer ${'x'.repeat(n)}`),
);

/** Header values as a header may carry them: latin1, no line breaks. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  hostileString.map((text) => text.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?')),
  fc.constantFrom('null', '*', 'https://evil.example', 'http://127.0.0.1', '\u00ff'),
);

/** Other headers a client may send, harmless or not. */
export const extraHeaders: fc.Arbitrary<[string, string][]> = fc.array(
  fc.tuple(
    fc.constantFrom(
      'Origin',
      'X-Forwarded-For',
      'X-Forwarded-Proto',
      'Accept',
      'Accept-Language',
      'Accept-Encoding',
      'Cookie',
      'Range',
      'If-None-Match',
      'If-Modified-Since',
      'Referer',
      'User-Agent',
      'X-Http-Method-Override',
      'Access-Control-Request-Method',
      'Access-Control-Request-Headers',
    ),
    headerValue,
  ),
  { maxLength: 3 },
);
