import assert from 'node:assert/strict';
import { FeedError } from '../../../shared/domain/feed/feed-error.js';
import { isBinary, withoutForbiddenChars } from '../../../shared/domain/feed/sniff.js';
import { decodeFeed } from '../../../workers/poll/decode.js';
import { parseFeedText } from '../../../workers/poll/parse/parse-feed.js';
import type { FeedItem } from '../../../workers/poll/parse/parsed-feed.js';

/*
 * Characters XML forbids (C0 controls other than tab/LF/CR, U+FFFE, U+FFFF) inside an otherwise
 * good feed are dropped and the feed read; binary data is still refused.
 */

const URL = 'https://example.com/feed.xml';

function rss(title: string, description: string): string {
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Chan</title>
<item><title>${title}</title><link>https://example.com/a</link><description>${description}</description></item>
</channel></rss>`;
}

function firstItem(text: string): FeedItem {
  const item = parseFeedText(text, URL).items[0];
  assert.ok(item !== undefined, 'an item');
  return item;
}

function errorCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof FeedError) return error.code;
    throw error;
  }
  return undefined;
}

describe('control characters in feeds', () => {
  it('reads a feed with a vertical tab in a description in the first kilobyte', () => {
    const item = firstItem(rss('Breaking', 'Line one\u000Bline two'));
    assert.equal(item.title, 'Breaking');
    // A separator, so the words on either side stay apart.
    assert.equal(item.summaryHtml, 'Line one line two');
  });

  it('drops each forbidden C0 control, wherever it is', () => {
    for (let code = 0; code < 0x20; code += 1) {
      if (code === 0x09 || code === 0x0a || code === 0x0d) continue;
      const char = String.fromCharCode(code);
      const item = firstItem(rss(`Ti${char}tle`, `<![CDATA[Body${char}]]>`));
      const expected = code === 0x0b || code === 0x0c ? 'Ti tle' : 'Title';
      assert.equal(item.title, expected, `U+${code.toString(16).padStart(4, '0')}`);
      assert.equal(item.summaryHtml, 'Body');
    }
  });

  it('drops U+FFFE and U+FFFF, and keeps tab, line feed and carriage return', () => {
    const item = firstItem(rss('A\uFFFEB\uFFFFC', 'x\ty\nz'));
    assert.equal(item.title, 'ABC');
    assert.equal(item.summaryHtml, 'x\ty\nz');
    assert.equal(withoutForbiddenChars('a\tb\r\nc\u0001'), 'a\tb\r\nc');
  });

  it('reads controls in a link, an attribute and before the root element', () => {
    const doc = `\u0007<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<entry><title type="te\u0002xt">Entry</title><id>urn:x</id>
<link rel="alternate" href="https://example.com/\u0008e"/><updated>2025-01-01T00:00:00Z</updated></entry></feed>`;
    const item = firstItem(doc);
    assert.equal(item.title, 'Entry');
    assert.equal(item.link, 'https://example.com/e');
  });

  it('reads a JSON Feed with a raw control character in a string', () => {
    const doc =
      '{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1",' +
      '"url":"https://example.com/j","title":"Bell\u0007 here"}]}';
    assert.equal(firstItem(doc).title, 'Bell here');
  });

  it('still refuses binary data: magic numbers, NUL-heavy text, random bytes', () => {
    // Real headers: each is followed by the control bytes and NULs of its format.
    const magic = [
      [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03], // gzip
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d], // PNG
      [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01], // JPEG
      [0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00], // ZIP
      [0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00], // GIF
    ];
    for (const bytes of magic) {
      // Markup after the header, as a compressed body may happen to hold; no XML declaration, which
      // decodeFeed would take as the start of the document.
      const markup = rss('T', 'D').replace('<?xml version="1.0"?>', '');
      const body = new Uint8Array([...bytes, ...new TextEncoder().encode(markup)]);
      const text = decodeFeed(body).text;
      assert.equal(isBinary(text.slice(0, 1024)), true, JSON.stringify(text.slice(0, 8)));
      assert.equal(
        errorCode(() => parseFeedText(text, URL)),
        'not_a_feed',
      );
    }
    const nulHeavy = rss('T', 'D').split('').join('\u0000');
    assert.equal(
      errorCode(() => parseFeedText(nulHeavy, URL)),
      'not_a_feed',
    );
    let seed = 7;
    const random = Uint8Array.from({ length: 2048 }, () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % 256;
    });
    const randomText = `<${decodeFeed(random).text}`;
    assert.equal(isBinary(randomText.slice(0, 1024)), true);
  });

  it('calls one stray control character in a kilobyte text, not binary', () => {
    assert.equal(isBinary(`<rss>${'a'.repeat(1000)}\u000B</rss>`), false);
    assert.equal(isBinary(`<rss>\u0000${'a'.repeat(1000)}</rss>`), false);
  });
});
