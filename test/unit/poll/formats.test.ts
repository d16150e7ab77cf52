import assert from 'node:assert/strict';
import { decodeFeed } from '../../../workers/poll/decode.js';
import { parseFeedText } from '../../../workers/poll/parse/parse-feed.js';
import type { FeedItem, ParsedFeed } from '../../../workers/poll/parse/parsed-feed.js';
import { decodeBase64Text, unprefixRss } from '../../../workers/poll/parse/rewrite.js';

/* Feed variants read since issue 17: UTF-32, RSS with prefixed elements, Atom 0.3 base64 text. */

const URL = 'https://example.com/feed.xml';

function parse(text: string): ParsedFeed {
  return parseFeedText(text, URL);
}

function firstItem(feed: ParsedFeed): FeedItem {
  const item = feed.items[0];
  assert.ok(item !== undefined, 'an item');
  return item;
}

/** `text` in UTF-32, with or without a byte order mark. */
function utf32(text: string, littleEndian: boolean, bom: boolean): Uint8Array {
  // One 4-byte unit per code point: an emoji is one unit, not its two UTF-16 surrogates.
  const codePoints: number[] = bom ? [0xfeff] : [];
  for (let i = 0; i < text.length;) {
    const codePoint = text.codePointAt(i) ?? 0;
    codePoints.push(codePoint);
    i += codePoint > 0xffff ? 2 : 1;
  }
  const bytes = new Uint8Array(codePoints.length * 4);
  const view = new DataView(bytes.buffer);
  codePoints.forEach((codePoint, i) => {
    view.setUint32(i * 4, codePoint, littleEndian);
  });
  return bytes;
}

describe('UTF-32 documents', () => {
  const rss = `<?xml version="1.0" encoding="UTF-32"?><rss version="2.0"><channel><title>Ünï 😀</title>
<item><title>Ça va — 日本</title><link>https://example.com/32</link></item></channel></rss>`;
  const json =
    '{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","url":"https://example.com/j","title":"Grüße 😀"}]}';

  for (const littleEndian of [true, false]) {
    for (const bom of [true, false]) {
      const name = `${littleEndian ? 'LE' : 'BE'} ${bom ? 'with' : 'without'} a byte order mark`;
      it(`decodes and reads UTF-32${name}`, () => {
        const decoded = decodeFeed(utf32(rss, littleEndian, bom));
        assert.deepEqual(decoded, { text: rss, encoding: littleEndian ? 'utf-32le' : 'utf-32be' });
        const feed = parse(decoded.text);
        assert.equal(feed.title, 'Ünï 😀');
        assert.equal(firstItem(feed).title, 'Ça va — 日本');
        assert.equal(
          firstItem(parse(decodeFeed(utf32(json, littleEndian, bom)).text)).title,
          'Grüße 😀',
        );
      });
    }
  }

  it('still takes FF FE followed by a character as UTF-16LE, not UTF-32LE', () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x3c, 0x00, 0x61, 0x00, 0x2f, 0x00, 0x3e, 0x00]);
    assert.deepEqual(decodeFeed(bytes), { text: '<a/>', encoding: 'utf-16le' });
  });
});

describe('RSS with a namespace prefix on its elements', () => {
  it('reads <r:rss><r:channel><r:item> as RSS', () => {
    const doc = `<?xml version="1.0"?>
<r:rss xmlns:r="http://backend.userland.com/rss2" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">
<r:channel><r:title>Prefixed</r:title>
<r:item><r:title>First</r:title><r:link>https://example.com/p1</r:link>
<r:description><![CDATA[Keep <r:b>this</r:b>]]></r:description><dc:creator>Ann</dc:creator>
<r:pubDate>Sun, 30 Mar 2025 07:11:13 GMT</r:pubDate></r:item>
</r:channel></r:rss>`;
    const feed = parse(doc);
    assert.equal(feed.format, 'rss');
    assert.equal(feed.title, 'Prefixed');
    const { title, link, author, published, summaryHtml } = firstItem(feed);
    assert.deepEqual(
      { title, link, author, published, summaryHtml },
      {
        title: 'First',
        link: 'https://example.com/p1',
        author: 'Ann',
        published: 'Sun, 30 Mar 2025 07:11:13 GMT',
        // CDATA is content: the prefix inside it stays.
        summaryHtml: 'Keep <r:b>this</r:b>',
      },
    );
  });

  it('removes only the root prefix, outside CDATA and comments', () => {
    assert.equal(
      unprefixRss('<x:rss><!-- <x:a> --><x:channel><dc:x/></x:channel></x:rss>', 'x:rss'),
      '<rss><!-- <x:a> --><channel><dc:x/></channel></rss>',
    );
    assert.equal(unprefixRss('<rss><a/></rss>', 'rss'), '<rss><a/></rss>');
  });
});

describe('Atom 0.3 base64 content', () => {
  const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

  it('decodes mode="base64" content, summary and title', () => {
    const doc = `<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#">
<title>Old Atom</title>
<entry><title mode="base64">${b64('Café & “quotes”')}</title>
<link rel="alternate" type="text/html" href="https://example.com/a03"/><id>tag:example.com,2004:1</id>
<issued>2004-06-01T12:00:00Z</issued><modified>2004-06-01T12:00:00Z</modified>
<summary type="text/plain" mode="base64">${b64('a < b')}</summary>
<content type="text/html" mode="base64">
${b64('<p>Hello <b>world</b></p>').replace(/(.{8})/g, '$1\n')}
</content></entry></feed>`;
    const { title, contentHtml, summaryHtml } = firstItem(parse(doc));
    assert.deepEqual(
      { title, contentHtml, summaryHtml },
      {
        title: 'Café & “quotes”',
        contentHtml: '<p>Hello <b>world</b></p>',
        summaryHtml: 'a &lt; b',
      },
    );
  });

  it('decodes base64 inside CDATA, and leaves non-text types and other modes alone', () => {
    assert.equal(
      decodeBase64Text(`<content mode="base64"><![CDATA[${b64('<i>x</i>')}]]></content>`),
      '<content>&lt;i&gt;x&lt;/i&gt;</content>',
    );
    const image = '<content type="image/png" mode="base64">iVBORw0KGgo=</content>';
    assert.equal(decodeBase64Text(image), image);
    const escaped = '<content type="text/html" mode="escaped">&lt;b&gt;</content>';
    assert.equal(decodeBase64Text(escaped), escaped);
  });

  it('takes linear time on long text that does not end its element', () => {
    // A title of 200,000 spaces followed by another tag: a pattern that tried every split of the
    // spaces would take minutes.
    const doc = `<content mode="base64">${' '.repeat(200_000)}<b></content><![CDATA[ open`;
    const started = performance.now();
    assert.equal(decodeBase64Text(doc), doc);
    assert.ok(performance.now() - started < 1000, 'well under a second');
  });
});
