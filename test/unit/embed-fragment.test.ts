import assert from 'node:assert/strict';
import { escapeHtml } from '../../shared/domain/html-text.js';
import {
  renderEmbedFragment,
  safeHref,
  type FragmentInput,
  type FragmentPost,
} from '../../server/http/embed-fragment.js';

const PUBLISHED = '2024-06-19T11:39:00.000Z';

function post(fields: Partial<FragmentPost> = {}): FragmentPost {
  return {
    id: 'p1',
    url: 'https://example.com/news/1',
    title: 'Flood alert',
    publishedAt: PUBLISHED,
    ago: '21 mins ago',
    ...fields,
  };
}

/** The elements and attributes the renderer writes; anything else came from a post. */
const ELEMENTS = new Set(['ol', 'li', 'a', 'p', 'time']);
const ATTRIBUTES = new Set([
  ...['class', 'lang', 'aria-label', 'href', 'datetime'],
  ...['data-id', 'data-channel', 'data-cursor', 'data-limit'],
]);

/** The fragment of `posts`, read at cursor `e1-7` with limit 10 unless the input says else. */
function fragment(input: Partial<FragmentInput> & Pick<FragmentInput, 'posts'>): string {
  return renderEmbedFragment({ channel: 'top', locale: 'en', cursor: 'e1-7', limit: 10, ...input });
}

/** Markup no fragment may hold, whatever the posts say: code, handlers, inline styles. */
function assertInert(html: string): void {
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<img/i);
  assert.doesNotMatch(html, /href="(?!https?:)/i);
  // Every real tag (escaped text holds no `<`) is one the renderer writes, with its attributes.
  for (const [tag, name = '', attributes = ''] of html.matchAll(/<\/?([a-z]+)([^>]*)>/g)) {
    assert.ok(ELEMENTS.has(name), tag);
    for (const [, attribute = ''] of attributes.matchAll(/\s([^\s=]+)="[^"]*"/g))
      assert.ok(ATTRIBUTES.has(attribute), tag);
    // Nothing but quoted attributes: a ` onerror=` or ` style=` would be left over here.
    assert.equal(attributes.replace(/\s[^\s=]+="[^"]*"/g, ''), '', tag);
  }
}

describe('renderEmbedFragment', () => {
  it('renders an ordered list named after the channel, one linked item per post', () => {
    const html = fragment({
      channel: 'bihar',
      locale: 'en',
      posts: [
        post({ summary: 'Rivers rise in Patna' }),
        post({ id: 'p2', url: 'http://example.com/2', lang: 'hi' }),
      ],
    });
    assert.equal(
      html,
      '<ol class="khabar-embed" lang="en" aria-label="Recent posts: bihar" data-channel="bihar"' +
        ' data-cursor="e1-7" data-limit="10">\n' +
        '<li data-id="p1"><a href="https://example.com/news/1">Flood alert</a>' +
        `<p>Rivers rise in Patna</p><time datetime="${PUBLISHED}">21 mins ago</time></li>\n` +
        '<li data-id="p2" lang="hi"><a href="http://example.com/2">Flood alert</a>' +
        `<time datetime="${PUBLISHED}">21 mins ago</time></li>\n` +
        '</ol>\n',
    );
  });

  it('names the list in Hindi for a Hindi locale', () => {
    const html = fragment({ channel: 'top', locale: 'hi-IN', cursor: '0-0', posts: [] });
    assert.equal(
      html,
      '<ol class="khabar-embed" lang="hi-IN" aria-label="हाल की पोस्ट: top" data-channel="top"' +
        ' data-cursor="0-0" data-limit="10">\n</ol>\n',
    );
  });

  it('escapes script, attribute breakouts and entities in titles, summaries and urls', () => {
    const html = fragment({
      channel: 'top',
      locale: 'en',
      posts: [
        post({
          id: '"><script>alert(1)</script>',
          title: '<script>alert(1)</script>',
          summary: '"><img src=x onerror=alert(1)>',
          lang: '"><b>x</b>',
        }),
        post({
          url: 'https://example.com/?q="><img src=x onerror=alert(1)>&a=1',
          title: 'Tom & Jerry\'s "day" <b>out</b>',
          ago: '<i>now</i>',
        }),
      ],
    });
    assertInert(html);
    assert.match(html, />&lt;script&gt;alert\(1\)&lt;\/script&gt;</);
    assert.match(html, /<p>&quot;&gt;&lt;img src=x onerror=alert\(1\)&gt;<\/p>/);
    assert.match(html, />Tom &amp; Jerry&#39;s &quot;day&quot; &lt;b&gt;out&lt;\/b&gt;</);
    assert.match(html, />&lt;i&gt;now&lt;\/i&gt;<\/time>/);
    // The URL parser percent-encodes quotes and angle brackets; whatever remains is escaped.
    assert.match(
      html,
      /<a href="https:\/\/example\.com\/\?q=%22%3E%3Cimg%20src=x%20onerror=alert\(1\)%3E&amp;a=1">/,
    );
  });

  it('has a markup check that catches handlers, styles and other elements', () => {
    for (const bad of ['<li onclick="x">', '<li style="x">', '<img src=x>', '<b>', '<li x=1>'])
      assert.throws(
        () => {
          assertInert(bad);
        },
        assert.AssertionError,
        `not caught: ${bad}`,
      );
  });

  it('drops links that are not http(s) and keeps their headline as text', () => {
    const vectors = [
      'javascript:alert(1)',
      ' JavaScript:alert(document.cookie)',
      'java\tscript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      '//evil.example/x',
      '/relative/path',
      'not a url',
    ];
    for (const url of vectors) {
      const html = fragment({
        channel: 'top',
        locale: 'en',
        posts: [post({ url, title: 'Headline' })],
      });
      assertInert(html);
      assert.doesNotMatch(html, /<a\b/, url);
      assert.match(html, /<li data-id="p1">Headline<time/, url);
    }
  });
});

describe('escapeHtml and safeHref', () => {
  it('escapes the five characters that matter in text and quoted attributes', () => {
    assert.equal(escapeHtml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
    assert.equal(escapeHtml('हाल की पोस्ट'), 'हाल की पोस्ट');
  });

  it('keeps absolute http(s) urls only', () => {
    assert.equal(safeHref('https://example.com/a b'), 'https://example.com/a%20b');
    assert.equal(safeHref('HTTP://Example.com'), 'http://example.com/');
    assert.equal(safeHref('javascript:alert(1)'), undefined);
    assert.equal(safeHref('mailto:a@example.com'), undefined);
  });
});
