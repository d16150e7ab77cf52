import assert from 'node:assert/strict';
import { decodeFeed } from '../../../workers/poll/decode.js';
import { fixtureBytes, MANIFEST } from '../../helpers/feed-fixtures.js';

/** Legacy encodings and UTF-16: a MANIFEST row whose quirk names one is in the non-UTF-8 set. */
const LEGACY =
  /ISO-8859-1|windows-1251|windows-1252|KOI8-R|Big5|EUC-JP|TIS-620|windows-1255|iso-8859-7|UTF-16/i;

/** For each such fixture: the encoding it must decode as, and a word that must come out right. */
const KNOWN_WORDS: Readonly<Record<string, readonly [string, string]>> = {
  'rssparser__uolNoticias.rss': ['windows-1252', 'simulações'],
  'rssparser__encoding.rss': ['windows-1252', 'Raríssimas'],
  // Declared ISO-8859-1 but pure ASCII: identical in UTF-8, so decoded as that.
  'rssparser__heraldsun.rss': ['utf-8', 'Oreilly and Associates'],
  'feedrs__rss_2.0_encoding_1.xml': ['windows-1252', 'Inovação Tecnológica'],
  'feedrs__rss_0.91_encoding_1.xml': ['windows-1252', 'Informações Úteis'],
  'feedrs__rss_0.91_missing_id.xml': ['windows-1252', 'Diputación'],
  'feedrs__rss_1.0_iso8859.xml': ['windows-1252', 'Glasfaserförderung'],
  'miniflux__encoding_ISO-8859-1.xml': ['windows-1252', 'Übertragungen'],
  'miniflux__encoding_WINDOWS-1251.xml': ['windows-1251', 'Новый цитатник Рунета'],
  'miniflux__no_encoding_ISO-8859-1.xml': ['windows-1252', 'développementaux'],
  // The prolog says windows-1252, the bytes are UTF-8: UTF-8 wins (miniflux encoding_test.go).
  'miniflux__windows-1252-incorrect-prolog.xml': ['utf-8', 'Euro €'],
  // The prolog says UTF-8, the bytes are ISO-8859-1: detected and decoded as that.
  'miniflux__iso88591_utf8_mismatch.xml': ['windows-1252', 'Jürgen'],
  'nodefeedparser__iconv.xml': ['windows-1251', 'Новости Оренбурга'],
  // The capture itself has "?" where some characters were lost; the rest is Big5.
  'pyfeedparser__chardet_big5.xml': ['big5', '中文'],
  'pyfeedparser__chardet_eucjp.xml': ['euc-jp', 'ゲーム三昧な正月'],
  'pyfeedparser__chardet_koi8r.xml': ['koi8-r', 'Как пережить новогоднюю ночь'],
  // TextDecoder's name for TIS-620 (a subset of it).
  'pyfeedparser__chardet_tis620.xml': ['windows-874', 'สำนักงานส่งเสริมอุตสาหกรรมซอฟต์แวร์แห่งชาติ'],
  'pyfeedparser__chardet_windows1255.xml': ['windows-1255', 'האם תדפיס נייר'],
  // ASCII content only: the word is from the document's comment.
  'pyfeedparser__utf-16le-bom.xml': ['utf-16le', 'Wellformed UTF-16 with Byte Order Mark'],
  'pyfeedparser__http_high_bit_date.xml': ['iso-8859-7', 'Τρι, 29 Ιούν 2004'],
};

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A body of ASCII text runs and single bytes, in order. */
const bytesOf = (...parts: readonly (string | number)[]): Uint8Array =>
  new Uint8Array(parts.flatMap((part) => (typeof part === 'string' ? [...encode(part)] : [part])));

describe('decodeFeed', () => {
  const legacyRows = MANIFEST.filter((row) => LEGACY.test(row.quirk));

  it('has a known word for every MANIFEST row in the non-UTF-8 set', () => {
    assert.deepEqual(legacyRows.map((row) => row.file).sort(), Object.keys(KNOWN_WORDS).sort());
  });

  for (const [file, [encoding, word]] of Object.entries(KNOWN_WORDS)) {
    it(`decodes ${file} as ${encoding} with no U+FFFD, "${word}" intact`, () => {
      const decoded = decodeFeed(fixtureBytes(file));
      assert.equal(decoded.encoding, encoding);
      assert.ok(!decoded.text.includes('\uFFFD'), 'no replacement character');
      assert.ok(decoded.text.includes(word), `expected "${word}" in the text`);
    });
  }

  it('follows a byte order mark: UTF-8, UTF-16LE, UTF-16BE', () => {
    const doc = '<rss><channel><title>Ünïcode ✓</title></channel></rss>';
    const utf16 = (littleEndian: boolean): Uint8Array => {
      const bytes = new Uint8Array(2 + doc.length * 2);
      const view = new DataView(bytes.buffer);
      view.setUint16(0, 0xfeff, littleEndian);
      for (let i = 0; i < doc.length; i += 1)
        view.setUint16(2 + i * 2, doc.charCodeAt(i), littleEndian);
      return bytes;
    };
    const utf8 = new Uint8Array([0xef, 0xbb, 0xbf, ...encode(doc)]);
    assert.deepEqual(decodeFeed(utf8, 'text/xml; charset=iso-8859-1'), {
      text: doc,
      encoding: 'utf-8',
    });
    assert.deepEqual(decodeFeed(utf16(true)), { text: doc, encoding: 'utf-16le' });
    assert.deepEqual(decodeFeed(utf16(false)), { text: doc, encoding: 'utf-16be' });
  });

  it('recognises UTF-16 without a byte order mark by its zero bytes', () => {
    const doc = '<?xml version="1.0" encoding="utf-16"?><rss/>';
    const bytes = new Uint8Array(doc.length * 2);
    for (let i = 0; i < doc.length; i += 1) bytes[i * 2] = doc.charCodeAt(i);
    assert.deepEqual(decodeFeed(bytes), { text: doc, encoding: 'utf-16le' });
  });

  it('keeps valid UTF-8 as UTF-8 whatever the header or the prolog says', () => {
    const doc = '<?xml version="1.0" encoding="windows-1251"?><rss><title>café</title></rss>';
    const decoded = decodeFeed(encode(doc), 'application/rss+xml; charset=koi8-r');
    assert.deepEqual(decoded, { text: doc, encoding: 'utf-8' });
  });

  it('prefers the HTTP charset to the XML declaration for non-UTF-8 bytes', () => {
    // "Привет" in windows-1251; the prolog's koi8-r would give other letters.
    const body = new Uint8Array([
      ...encode('<?xml version="1.0" encoding="koi8-r"?><t>'),
      0xcf,
      0xf0,
      0xe8,
      0xe2,
      0xe5,
      0xf2,
      ...encode('</t>'),
    ]);
    assert.equal(
      decodeFeed(body, 'text/xml; charset="windows-1251"').text.includes('Привет'),
      true,
    );
    assert.equal(decodeFeed(body, 'text/xml; charset="windows-1251"').encoding, 'windows-1251');
    assert.equal(decodeFeed(body).encoding, 'koi8-r');
  });

  it('lets an unknown label fall through to the next source', () => {
    const body = new Uint8Array([
      ...encode('<?xml version="1.0" encoding="latin-9000"?><t>caf'),
      0xe9,
      ...encode(' cr'),
      0xe8,
      ...encode('me br'),
      0xfb,
      ...encode('l'),
      0xe9,
      ...encode('e</t>'),
    ]);
    const decoded = decodeFeed(body, 'text/xml; charset=x-bogus');
    assert.ok(decoded.text.includes('café crème brûlée'), decoded.text);
  });

  it('trims a newline or a comment before the XML declaration, and whitespace before JSON', () => {
    assert.equal(
      decodeFeed(encode('\n\n<?xml version="1.0"?><rss/>')).text,
      '<?xml version="1.0"?><rss/>',
    );
    assert.equal(
      decodeFeed(encode('<!-- generated -->\n<?xml version="1.0"?><rss/>')).text,
      '<?xml version="1.0"?><rss/>',
    );
    assert.equal(decodeFeed(encode('Notice: x\n<rss/>')).text, '<rss/>');
    assert.equal(decodeFeed(encode('\n  {"items": ["<b>"]}')).text, '{"items": ["<b>"]}');
    assert.ok(decodeFeed(fixtureBytes('feedjira__TechCrunch.xml')).text.startsWith('<?xml'));
  });

  describe('windows-1252 bytes 0x80–0x9F', () => {
    /**
     * The 27 characters windows-1252 defines at 0x80–0x9F, from the Unicode mapping table
     * (CP1252.TXT), written out rather than computed so a decoder that falls back to Latin-1 (C1
     * controls, as TextDecoder does since Node 20.18.3) fails here.
     */
    const DEFINED: Readonly<Record<number, string>> = {
      0x80: '\u20AC',
      0x82: '\u201A',
      0x83: '\u0192',
      0x84: '\u201E',
      0x85: '\u2026',
      0x86: '\u2020',
      0x87: '\u2021',
      0x88: '\u02C6',
      0x89: '\u2030',
      0x8a: '\u0160',
      0x8b: '\u2039',
      0x8c: '\u0152',
      0x8e: '\u017D',
      0x91: '\u2018',
      0x92: '\u2019',
      0x93: '\u201C',
      0x94: '\u201D',
      0x95: '\u2022',
      0x96: '\u2013',
      0x97: '\u2014',
      0x98: '\u02DC',
      0x99: '\u2122',
      0x9a: '\u0161',
      0x9b: '\u203A',
      0x9c: '\u0153',
      0x9e: '\u017E',
      0x9f: '\u0178',
    };
    const UNDEFINED = [0x81, 0x8d, 0x8f, 0x90, 0x9d];
    const declared = (byte: number): Uint8Array =>
      bytesOf('<?xml version="1.0" encoding="windows-1252"?><t>a', byte, 'b</t>');

    it('defines 27 and leaves 5 undefined', () => {
      assert.equal(Object.keys(DEFINED).length, 27);
      assert.equal(Object.keys(DEFINED).length + UNDEFINED.length, 0x20);
    });

    for (let byte = 0x80; byte <= 0x9f; byte += 1) {
      const hex = `0x${byte.toString(16).toUpperCase()}`;
      const char = DEFINED[byte];
      if (char !== undefined) {
        it(`decodes ${hex} as U+${char.codePointAt(0)?.toString(16).toUpperCase()}`, () => {
          const decoded = decodeFeed(declared(byte));
          assert.equal(decoded.encoding, 'windows-1252');
          assert.equal(
            decoded.text,
            `<?xml version="1.0" encoding="windows-1252"?><t>a${char}b</t>`,
          );
        });
      } else {
        // Undefined bytes become U+FFFD, visibly lost, not a C1 control that is stripped unseen.
        it(`decodes the undefined ${hex} as U+FFFD`, () => {
          assert.ok(decodeFeed(declared(byte)).text.includes('a\uFFFDb'));
        });
      }
    }

    it('decodes a document labelled ISO-8859-1 as windows-1252, € and curly quotes kept', () => {
      // "Price €5 — “It’s here”… Café™" in windows-1252.
      const body = bytesOf(
        '<?xml version="1.0" encoding="ISO-8859-1"?><t>Price ',
        0x80,
        '5 ',
        0x97,
        ' ',
        0x93,
        'It',
        0x92,
        's here',
        0x94,
        0x85,
        ' Caf',
        0xe9,
        0x99,
        '</t>',
      );
      for (const decoded of [decodeFeed(body), decodeFeed(body, 'text/xml; charset=iso-8859-1')]) {
        assert.equal(decoded.encoding, 'windows-1252');
        assert.ok(decoded.text.includes('<t>Price €5 — “It’s here”… Café™</t>'), decoded.text);
      }
    });

    it('detects undeclared windows-1252 with curly quotes and keeps them', () => {
      // No label: detection must not be put off by the quotes (as C1 controls they scored as junk).
      const body = bytesOf(
        '<rss><channel><item><title>',
        0x93,
        'Cr',
        0xe8,
        'me br',
        0xfb,
        'l',
        0xe9,
        'e',
        0x94,
        ' au caf',
        0xe9,
        ' de la r',
        0xe9,
        'publique ',
        0x96,
        ' d',
        0xe9,
        'j',
        0xe0,
        ' vu</title></item></channel></rss>',
      );
      const decoded = decodeFeed(body);
      assert.ok(
        decoded.text.includes('“Crème brûlée” au café de la république – déjà vu'),
        decoded.text,
      );
    });
  });

  it('never throws, whatever the bytes', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % 256;
    };
    for (let round = 0; round < 50; round += 1) {
      const bytes = Uint8Array.from({ length: round * 37 }, random);
      const decoded = decodeFeed(bytes, round % 2 === 0 ? 'text/xml; charset=nonsense' : undefined);
      assert.equal(typeof decoded.text, 'string');
    }
    assert.deepEqual(decodeFeed(new Uint8Array()), { text: '', encoding: 'utf-8' });
  });
});
