import assert from 'node:assert/strict';
import { findFeedLink, MAX_HEAD_CHARS } from '../../shared/domain/feed/find-feed-link.js';

const PAGE = 'https://news.example.com/bihar/today.html';

const page = (head: string, body = '<p>Hello</p>'): string =>
  `<!DOCTYPE html><html><head><title>News</title>${head}</head><body>${body}</body></html>`;

/** The feed URL found in a page with this head. */
const feedIn = (...head: string[]): string | undefined =>
  findFeedLink(page(head.join('')), PAGE).feedUrl;

describe('findFeedLink: the feed a page names in its head', () => {
  it('resolves a relative href against the page URL', () => {
    const found = findFeedLink(
      page('<link rel="alternate" type="application/rss+xml" href="../feed.xml">'),
      PAGE,
    );
    assert.deepEqual(found, {
      feedUrl: 'https://news.example.com/feed.xml',
      type: 'application/rss+xml',
      html: true,
    });
  });

  it('resolves against the first <base href>, itself relative to the page, even for links before it', () => {
    const head = '<link rel="alternate" type="application/atom+xml" href="atom">';
    const bases = '<base href="/en/"><base href="https://other.example/">';
    assert.equal(feedIn(head, bases), 'https://news.example.com/en/atom');
  });

  it('takes rel as a set of tokens in any case, and type in any case with parameters', () => {
    for (const [rel, type] of [
      ['alternate', 'application/rss+xml'],
      ['ALTERNATE', 'Application/RSS+XML'],
      ['feed alternate', 'application/atom+xml; charset=utf-8'],
      ['\talternate\nhome ', 'application/feed+json'],
      ['Alternate', 'application/json'],
    ] as const) {
      const html = page(`<link rel="${rel}" type="${type}" href="/f">`);
      assert.equal(
        findFeedLink(html, PAGE).feedUrl,
        'https://news.example.com/f',
        `${rel} ${type}`,
      );
    }
  });

  it('passes over links that are not feeds, or whose href is missing or not http(s)', () => {
    const html = page(
      [
        '<link rel="stylesheet" type="text/css" href="/style.css">',
        '<link rel="alternate" hreflang="hi" href="/hi/">',
        '<link rel="alternate" type="text/html" href="/print">',
        '<link rel="alternates" type="application/rss+xml" href="/not-the-token">',
        '<link rel="alternate" type="application/rss+xml">',
        '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">',
        '<link rel="alternate" type="application/rss+xml" href="http://[bad">',
        '<link rel="alternate" type="application/rss+xml" href=" /rss?a=1&amp;b=2 ">',
      ].join(''),
    );
    assert.equal(findFeedLink(html, PAGE).feedUrl, 'https://news.example.com/rss?a=1&b=2');
  });

  it('takes the first feed link in document order, whatever its format', () => {
    const atom = '<link rel="alternate" type="application/atom+xml" href="/atom">';
    const rss = '<link rel="alternate" type="application/rss+xml" href="/rss">';
    assert.equal(feedIn(atom, rss), 'https://news.example.com/atom');
    assert.equal(feedIn(rss, atom), 'https://news.example.com/rss');
  });

  it('ignores links in the body, and after an element that ends the head implicitly', () => {
    const inBody = page('', '<link rel="alternate" type="application/rss+xml" href="/body">');
    assert.deepEqual(findFeedLink(inBody, PAGE), { html: true });
    const noHeadTags =
      '<html><title>x</title><div>text</div><link rel="alternate" type="application/rss+xml" href="/late">';
    assert.equal(findFeedLink(noHeadTags, PAGE).feedUrl, undefined);
    const template = page(
      '<template><div></div><link rel="alternate" type="application/rss+xml" href="/inert"></template>' +
        '<link rel="alternate" type="application/rss+xml" href="/real">',
    );
    assert.equal(findFeedLink(template, PAGE).feedUrl, 'https://news.example.com/real');
  });

  it('reads malformed markup as a browser would: no quotes, no </head>, unclosed tags, stray <', () => {
    const html =
      '<html><head><title>a < b</title><meta charset=utf-8><script>if (a < b) "<link rel=alternate>"</script>' +
      '<LINK REL=Alternate TYPE=application/rss+xml HREF=/unquoted.xml>';
    assert.equal(findFeedLink(html, PAGE).feedUrl, 'https://news.example.com/unquoted.xml');
  });

  it('says whether the document looked like HTML at all', () => {
    assert.deepEqual(findFeedLink('just some text', PAGE), { html: false });
    assert.deepEqual(findFeedLink('<rss version="2.0"><channel/></rss>', PAGE), { html: false });
    assert.equal(findFeedLink('<!doctype html><p>hi</p>', PAGE).html, true);
    assert.equal(findFeedLink(page(''), PAGE).html, true);
  });

  it(`reads no further than ${MAX_HEAD_CHARS} characters of a huge head`, () => {
    const link = '<link rel="alternate" type="application/rss+xml" href="/late">';
    const padding = `<meta name="x" content="${'a'.repeat(MAX_HEAD_CHARS)}">`;
    assert.equal(findFeedLink(`<html><head>${padding}${link}</head>`, PAGE).feedUrl, undefined);
    assert.equal(
      findFeedLink(`<html><head>${link}${padding}</head>`, PAGE).feedUrl,
      'https://news.example.com/late',
    );
  });
});
