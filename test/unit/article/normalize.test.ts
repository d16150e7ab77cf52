import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  ARTICLE_LIMITS,
  POST_ID_PATTERN,
  canonicalUrl,
  normalizeArticle,
  postContentHash,
  postIdFor,
  splitBatch,
  toStoredPost,
  validateNormalizedArticle,
  type ArticleResult,
  type NormalizedArticle,
} from '../../../shared/domain/article/normalize.js';
import { AppError, type ErrorDetail } from '../../../shared/infra/errors.js';
import { htmlToText } from '../../../shared/domain/html-text.js';
import type { StoredPost } from '../../../shared/contract/protocol.js';

const NOW = Date.parse('2024-06-19T12:00:00.000Z');
const URL_1 = 'https://example.com/news/1';
const DEVANAGARI_TITLE =
  '2 महीने के बच्चे की मां ने पटककर ली जान, प्लेटफार्म पर बच्चे को 3 बार पटकी, जानें पूरा मामला';
const CURLY_TITLE = 'CM नीतीश पर सुधाकर सिंह का बड़ा हमला, कहा- ‘दाल में कुछ तो काला है, जिसकी सफाई …’';

/** The article of an accepted input; fails the test with the details otherwise. */
function accept(input: unknown, now = NOW): NormalizedArticle {
  const result = normalizeArticle(input, now);
  if (result.ok) return result.article;
  throw new assert.AssertionError({
    message: `expected the article to be accepted: ${JSON.stringify(result.details)}`,
  });
}

/** The details of a rejection; fails the test on an acceptance. */
function detailsOf(result: ArticleResult): ErrorDetail[] {
  if (!result.ok) return result.details;
  throw new assert.AssertionError({
    message: `expected the article to be rejected: ${JSON.stringify(result.article)}`,
  });
}

/** The details of a rejected input; fails the test if it was accepted. */
function reject(input: unknown, now = NOW): ErrorDetail[] {
  return detailsOf(normalizeArticle(input, now));
}

/** The only detail of a rejected input, which must be at `path`. */
function rejectAt(input: unknown, path: string): string {
  const details = reject(input);
  assert.deepEqual(
    details.map((detail) => detail.path),
    [path],
  );
  return details[0]!.message;
}

const withField = (field: string, value: unknown): Record<string, unknown> => ({
  url: URL_1,
  title: 'Monsoon reaches Kerala',
  [field]: value,
});

describe('htmlToText', () => {
  it('drops bidi embeddings, overrides and isolates, and keeps the LRM/RLM marks', () => {
    // "‮txt.exe" would show as "exe.txt"; an isolate could hide a reordered word.
    const spoofs = [
      '\u202A',
      '\u202B',
      '\u202C',
      '\u202D',
      '\u202E',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
    ];
    for (const control of spoofs) {
      assert.equal(
        htmlToText(`Flood ${control}alert`),
        'Flood alert',
        control.codePointAt(0)?.toString(16),
      );
    }
    assert.equal(htmlToText('<b>\u202Egnp.exe</b>'), 'gnp.exe');
    assert.equal(htmlToText('قیمت \u200F۵۰\u200E روپے'), 'قیمت \u200F۵۰\u200E روپے');
  });

  it('tidies plain text (no tag, no entity) exactly as it tidies the same text parsed as HTML', () => {
    const samples = [
      '  Flood\talert\r\n in  Patna ',
      'बिहार में बाढ़\u200B \u00A0 राहत',
      'a\u0000b\u0007c\uFEFF d',
      'lone \uD800 surrogate',
      'e\u0301 composed',
      ' \u200B ',
      '',
    ];
    for (const text of samples) {
      // An inline element adds no word break, so only the parsing path differs.
      assert.equal(htmlToText(text), htmlToText(`${text}<i></i>`), JSON.stringify(text));
    }
  });

  it('removes tags and keeps the text of inline elements together', () => {
    assert.equal(
      htmlToText('<b>Pat</b>na <a href="/x">flood</a> <i>alert</i>'),
      'Patna flood alert',
    );
  });

  it('separates the words of block elements', () => {
    assert.equal(htmlToText('<p>a</p><p>b</p>'), 'a b');
    assert.equal(htmlToText('a<br>b<br/>c'), 'a b c');
    assert.equal(htmlToText('<div>a</div>b'), 'a b');
    assert.equal(htmlToText('<ul><li>one<li>two</ul>three'), 'one two three');
    assert.equal(
      htmlToText('<h1>Head</h1>Body<table><tr><td>x</td><td>y</td></tr></table>'),
      'Head Body x y',
    );
  });

  it('drops the contents of script, style and template, nested ones included', () => {
    assert.equal(htmlToText('a<script>alert("x")</script>b'), 'ab');
    assert.equal(htmlToText('a <style>p { color: red }</style>b'), 'a b');
    assert.equal(htmlToText('<template><p>hidden</p></template>shown'), 'shown');
    assert.equal(htmlToText('<template><template>x</template>y</template>z'), 'z');
    assert.equal(htmlToText('<SCRIPT>x</SCRIPT>y'), 'y');
  });

  it('drops noscript, svg and math contents but keeps textarea text', () => {
    assert.equal(htmlToText('<noscript>Enable JavaScript</noscript>News'), 'News');
    assert.equal(htmlToText('<svg><title>Share icon</title></svg>News'), 'News');
    assert.equal(htmlToText('<math><mi>x</mi></math>News'), 'News');
    assert.equal(htmlToText('<textarea>typed <b>text</b></textarea>'), 'typed <b>text</b>');
  });

  it('ignores a stray end tag of a dropped element', () => {
    assert.equal(htmlToText('a</template>b<script>c</script>d'), 'abd');
  });

  it('drops comments and CDATA sections', () => {
    assert.equal(htmlToText('a<!-- note -->b<![CDATA[c]]>d'), 'abd');
  });

  it('decodes named and numeric entities', () => {
    assert.equal(
      htmlToText('Tom &amp; Jerry&nbsp;&hellip; it&#8217;s &#x20B9;5'),
      'Tom & Jerry … it’s ₹5',
    );
    assert.equal(htmlToText('AT&T &lt;3'), 'AT&T <3');
  });

  it('is not idempotent: decoded markup is text', () => {
    assert.equal(htmlToText('a &lt;b&gt; c'), 'a <b> c');
  });

  it('collapses every run of Unicode whitespace to one space and trims', () => {
    assert.equal(htmlToText('  a\t\n b\u00A0\u00A0c\u3000d\u2028e\u0085f  \r\n'), 'a b c d e f');
  });

  it('keeps a zero-width space between letters but absorbs it next to whitespace and at the ends', () => {
    assert.equal(htmlToText('\u200Ba \u200B b\u200Bc\u200B'), 'a b\u200Bc');
  });

  it('keeps ZWJ and ZWNJ, which shape Devanagari', () => {
    const text = 'क्\u200Dष र्\u200Cय';
    assert.equal(htmlToText(text), text);
  });

  it('removes control characters but not whitespace, and drops byte-order marks', () => {
    assert.equal(htmlToText('\uFEFFa\u0000b\u0007c\u001Fd\u007Fe\u009Ff\tg'), 'abcdef g');
  });

  it('replaces a lone surrogate with U+FFFD', () => {
    assert.equal(htmlToText('a\uD800b'), 'a\uFFFDb');
  });

  it('normalises to NFC', () => {
    assert.equal(htmlToText('caf\u0065\u0301'), 'caf\u00E9');
    // क़ (U+0958) is a composition exclusion: its NFC form is क + nukta.
    assert.equal(htmlToText('\u0958'), '\u0915\u093C');
    assert.equal(htmlToText('\u0915\u093C'), '\u0915\u093C'.normalize('NFC'));
  });

  it('keeps Devanagari and curly quotes byte for byte', () => {
    assert.equal(htmlToText(DEVANAGARI_TITLE), DEVANAGARI_TITLE);
    assert.equal(htmlToText(CURLY_TITLE), CURLY_TITLE);
  });

  it('never throws on broken markup', () => {
    const cases: [string, string][] = [
      ['', ''],
      ['<', '<'],
      ['<<>>', '<<>>'],
      ['a < b', 'a < b'],
      ['<p>unclosed', 'unclosed'],
      ['<script>never closed', ''],
      ['</div></p>x', 'x'],
      ['<!-- open comment', ''],
      ['&', '&'],
      ['&#x110000;', '\uFFFD'],
      ['<a href="x>y', ''],
    ];
    for (const [html, text] of cases) assert.equal(htmlToText(html), text, html);
  });

  it('handles megabyte inputs, deeply nested ones included, in linear time', () => {
    // No clock here (the machines are shared): quadratic work on these inputs would take minutes,
    // far past the suite's 20 s timeout, which is what catches it.
    const mb = 1 << 20;
    assert.equal(htmlToText('word '.repeat(200_000)).length, 1_000_000 - 1);
    assert.equal(htmlToText('<'.repeat(mb)).length, mb);
    assert.equal(htmlToText(`${'<b>'.repeat(mb / 3)}x`), 'x');
    assert.equal(htmlToText(`${'<div>'.repeat(mb / 5)}x`), 'x');
    assert.equal(htmlToText(`${'<template>'.repeat(mb / 10)}x`), '');
    assert.equal(htmlToText(`${'\u200B'.repeat(mb)}x`), 'x');
  });
});

describe('canonicalUrl', () => {
  it('lower-cases scheme and host and drops the fragment and utm_* parameters', () => {
    assert.equal(
      canonicalUrl('HTTPS://Example.COM/a?utm_source=x&b=1#frag'),
      'https://example.com/a?b=1',
    );
  });

  it('matches utm_ names case-insensitively and after percent-decoding', () => {
    assert.equal(
      canonicalUrl('https://example.com/a?UTM_Medium=x&Utm_Campaign=y&%75tm_term=z&c=3'),
      'https://example.com/a?c=3',
    );
  });

  it('keeps other parameters in order and as written', () => {
    const url = 'https://example.com/a?z=1&a=%20x&m=a+b&utm=keep&utmx=keep';
    assert.equal(canonicalUrl(url), url);
  });

  it('removes the ? when nothing remains', () => {
    assert.equal(
      canonicalUrl('https://example.com/a?utm_source=x&utm_medium=y'),
      'https://example.com/a',
    );
    assert.equal(canonicalUrl('https://example.com/a?'), 'https://example.com/a');
    assert.equal(canonicalUrl('https://example.com/a?&&'), 'https://example.com/a');
  });

  it('keeps the path case and drops the default port', () => {
    assert.equal(canonicalUrl('http://EXAMPLE.com:80/News/A'), 'http://example.com/News/A');
  });

  it('is idempotent', () => {
    const once = canonicalUrl(' https://Example.com/समाचार?q=हिंदी&utm_id=1#x ');
    assert.equal(canonicalUrl(once), once);
  });

  it('throws a TypeError for a relative URL', () => {
    assert.throws(() => canonicalUrl('/news/1'), TypeError);
  });
});

describe('postIdFor', () => {
  const expected = (text: string): string =>
    `p${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`;

  it('hashes "id\\0" + the producer id when there is one', () => {
    assert.equal(postIdFor('guid-17', URL_1), expected('id\u0000guid-17'));
  });

  it('hashes "url\\0" + the canonical URL otherwise', () => {
    assert.equal(postIdFor(undefined, URL_1), expected(`url\u0000${URL_1}`));
  });

  it('gives ids that match POST_ID_PATTERN', () => {
    assert.match(postIdFor(undefined, URL_1), POST_ID_PATTERN);
    assert.match(postIdFor('x', URL_1), POST_ID_PATTERN);
    assert.doesNotMatch('p123', POST_ID_PATTERN);
  });

  it('keeps producer ids and URLs apart', () => {
    assert.notEqual(postIdFor(URL_1, URL_1), postIdFor(undefined, URL_1));
  });
});

describe('normalizeArticle', () => {
  describe('a valid article', () => {
    it('needs only url and title, and posts to "top" by default', () => {
      assert.deepEqual(accept({ url: URL_1, title: 'Monsoon reaches Kerala' }), {
        id: postIdFor(undefined, URL_1),
        url: URL_1,
        title: 'Monsoon reaches Kerala',
        channels: ['top'],
      });
    });

    it('normalises every field', () => {
      const article = accept({
        id: ' guid-17 ',
        url: ' HTTPS://Example.COM/news/1?utm_source=rss#top ',
        title: '<b>Flood</b> alert in Patna',
        summary: '<p>Rain&nbsp;until Friday.</p>',
        channels: ['top', 'bihar'],
        author: ' <span>Priya  Sharma</span> ',
        publishedAt: '2024-06-19T15:30:00+05:30',
        imageUrl: 'https://IMG.example.com/a.jpg?w=600#x',
        lang: 'HI',
      });
      assert.deepEqual(article, {
        id: postIdFor('guid-17', URL_1),
        producerId: 'guid-17',
        url: URL_1,
        title: 'Flood alert in Patna',
        summary: 'Rain until Friday.',
        author: 'Priya Sharma',
        channels: ['top', 'bihar'],
        imageUrl: 'https://img.example.com/a.jpg?w=600#x',
        lang: 'hi',
        publishedAt: '2024-06-19T10:00:00.000Z',
      });
    });

    it('ignores unknown fields', () => {
      assert.deepEqual(
        accept({ url: URL_1, title: 'T', body: '…', tags: ['x'] }),
        accept({ url: URL_1, title: 'T' }),
      );
    });

    it('treats null optional fields as absent', () => {
      const nulls = {
        id: null,
        summary: null,
        author: null,
        channel: null,
        channels: null,
        publishedAt: null,
        imageUrl: null,
        lang: null,
      };
      assert.deepEqual(
        accept({ url: URL_1, title: 'T', ...nulls }),
        accept({ url: URL_1, title: 'T' }),
      );
    });
  });

  describe('not an object', () => {
    for (const input of [null, [], 'text', 42, true]) {
      it(`rejects ${JSON.stringify(input)} with one detail at path ''`, () => {
        const message = rejectAt(input, '');
        assert.match(message, /must be a JSON object, such as \{"url"/);
      });
    }
  });

  describe('title', () => {
    it('keeps a Devanagari title byte for byte', () => {
      const title = accept(withField('title', DEVANAGARI_TITLE)).title;
      assert.equal(title, DEVANAGARI_TITLE);
      assert.deepEqual(Buffer.from(title), Buffer.from(DEVANAGARI_TITLE));
    });

    it('keeps curly quotes and the ellipsis', () => {
      assert.equal(accept(withField('title', CURLY_TITLE)).title, CURLY_TITLE);
    });

    it('comes out NFC', () => {
      assert.equal(accept(withField('title', 'Cafe\u0301 news')).title, 'Caf\u00E9 news');
    });

    it('is stripped of tags, script/style/template contents and decoded', () => {
      const html =
        '<h2>Floods&nbsp;&amp; rain</h2><script>x()</script><style>b{}</style><template>t</template> &hellip; it&#8217;s here';
      assert.equal(accept(withField('title', html)).title, 'Floods & rain … it’s here');
    });

    it('is required', () => {
      const message = rejectAt({ url: URL_1 }, 'title');
      assert.match(message, /^title is required.*such as "/);
    });

    it('must be a string', () => {
      assert.match(
        rejectAt(withField('title', 42), 'title'),
        /^title must be a string, .*\(got a number\)/,
      );
    });

    it('must have text after stripping', () => {
      const message = rejectAt(withField('title', '<p> &nbsp; </p><script>x</script>'), 'title');
      assert.match(message, /must contain text once HTML tags are removed/);
    });

    it('may have 300 characters after stripping, counting code points', () => {
      assert.equal(accept(withField('title', `<b>${'a'.repeat(300)}</b>`)).title.length, 300);
      assert.equal(accept(withField('title', '😀'.repeat(300))).title, '😀'.repeat(300));
    });

    it('is rejected, not cut, over 300 characters', () => {
      assert.match(rejectAt(withField('title', 'a'.repeat(301)), 'title'), /at most 300 .*got 301/);
    });
  });

  describe('url', () => {
    it('is required', () => {
      assert.match(
        rejectAt({ title: 'T' }, 'url'),
        /^url is required.*https:\/\/example\.com\/news\/1/,
      );
    });

    it('must be a string', () => {
      assert.match(rejectAt(withField('url', 7), 'url'), /^url must be a string.*\(got a number\)/);
    });

    for (const url of [
      '/news/1',
      'example.com/news/1',
      'ftp://example.com/a',
      'javascript:alert(1)',
      'mailto:a@b.c',
      'https://',
      '',
    ]) {
      it(`rejects ${JSON.stringify(url)} as not an absolute http(s) URL`, () => {
        assert.equal(
          rejectAt(withField('url', url), 'url'),
          'url must be an absolute http: or https: URL, such as https://example.com/news/1.',
        );
      });
    }

    it('rejects credentials', () => {
      assert.match(
        rejectAt(withField('url', 'https://user:pass@example.com/a'), 'url'),
        /user name or password/,
      );
      assert.match(
        rejectAt(withField('url', 'https://user@example.com/a'), 'url'),
        /user name or password/,
      );
    });

    it('may have 2048 characters, not more', () => {
      const base = 'https://example.com/';
      accept(withField('url', base + 'a'.repeat(2048 - base.length)));
      assert.match(
        rejectAt(withField('url', base + 'a'.repeat(2049 - base.length)), 'url'),
        /at most 2048 .*got 2049/,
      );
    });

    it('must still fit 2048 characters once percent-encoded', () => {
      const message = rejectAt(withField('url', `https://example.com/${'स'.repeat(300)}`), 'url');
      assert.match(message, /once non-ASCII characters are percent-encoded/);
    });

    it('is stored canonical and trimmed', () => {
      const article = accept(
        withField('url', '  HTTPS://Example.COM/news/1?utm_medium=x#comments '),
      );
      assert.equal(article.url, URL_1);
    });
  });

  describe('id and the post id', () => {
    it('derives the post id from the producer id, whatever the URL', () => {
      const a = accept({ id: 'guid-17', url: 'https://example.com/a', title: 'T' });
      const b = accept({ id: 'guid-17', url: 'https://example.org/b', title: 'Other' });
      assert.equal(a.id, b.id);
      assert.equal(a.producerId, 'guid-17');
      assert.match(a.id, POST_ID_PATTERN);
    });

    it('derives the post id from the canonical URL without a producer id', () => {
      const a = accept(withField('url', 'https://example.com/news/1'));
      const b = accept(
        withField('url', 'HTTPS://EXAMPLE.com/news/1?utm_source=tw&utm_campaign=x#c'),
      );
      assert.equal(a.id, b.id);
      assert.equal(a.id, postIdFor(undefined, URL_1));
    });

    it('gives the same post id when the same article is sent again', () => {
      const input = { id: 'cms-9', url: URL_1, title: 'T' };
      assert.equal(accept(input).id, accept(structuredClone(input)).id);
    });

    it('gives different post ids to different producer ids for one URL', () => {
      assert.notEqual(
        accept({ id: 'a', url: URL_1, title: 'T' }).id,
        accept({ id: 'b', url: URL_1, title: 'T' }).id,
      );
    });

    it('accepts a numeric id and stringifies it, equal to the same id as a string', () => {
      const numeric = accept(withField('id', 48213));
      assert.equal(numeric.producerId, '48213');
      assert.equal(numeric.id, accept(withField('id', '48213')).id);
    });

    it('trims the id and accepts 512 characters', () => {
      assert.equal(accept(withField('id', '  x  ')).producerId, 'x');
      assert.equal(accept(withField('id', 'x'.repeat(512))).producerId, 'x'.repeat(512));
    });

    it('rejects an empty, too long, fractional, unsafe or non-string id', () => {
      assert.match(rejectAt(withField('id', '  '), 'id'), /must not be empty/);
      assert.match(rejectAt(withField('id', 'x'.repeat(513)), 'id'), /at most 512 .*got 513/);
      assert.match(rejectAt(withField('id', 1.5), 'id'), /send large or fractional ids as strings/);
      assert.match(
        rejectAt(withField('id', 2 ** 53), 'id'),
        /send large or fractional ids as strings/,
      );
      assert.match(
        rejectAt(withField('id', true), 'id'),
        /must be a string or a whole number.*\(got a boolean\)/,
      );
    });
  });

  describe('summary', () => {
    it('is stripped like the title', () => {
      assert.equal(
        accept(withField('summary', '<p>Rain&hellip;</p><p>more</p>')).summary,
        'Rain… more',
      );
    });

    it('is omitted when empty after stripping', () => {
      assert.equal('summary' in accept(withField('summary', '<p>&nbsp;</p>')), false);
      assert.equal('summary' in accept(withField('summary', '')), false);
    });

    it('is kept whole at 500 characters', () => {
      const text = `${'word '.repeat(99)}words`;
      assert.equal(text.length, 500);
      assert.equal(accept(withField('summary', text)).summary, text);
    });

    it('is cut at a word boundary to at most 500 characters with "…"', () => {
      const summary = accept(withField('summary', 'मौसम '.repeat(150))).summary!;
      assert.ok(summary.length <= 500, `${summary.length}`);
      assert.ok(summary.endsWith('मौसम…'), summary.slice(-10));
      assert.equal(summary, `${'मौसम '.repeat(99)}मौसम…`);
    });

    it('cuts before the word that would cross the limit, and drops dangling punctuation', () => {
      const text = `${'a'.repeat(490)} bb, ${'c'.repeat(20)}`;
      assert.equal(accept(withField('summary', text)).summary, `${'a'.repeat(490)} bb…`);
    });

    it('is cut hard when the first word is huge, never inside a grapheme', () => {
      assert.equal(accept(withField('summary', 'x'.repeat(2000))).summary, `${'x'.repeat(499)}…`);
      // q + COMBINING DOT ABOVE has no precomposed form: two code points, one grapheme.
      assert.equal(
        accept(withField('summary', 'q\u0307'.repeat(300))).summary,
        `${'q\u0307'.repeat(249)}…`,
      );
    });

    it('must be a string', () => {
      assert.match(
        rejectAt(withField('summary', ['x']), 'summary'),
        /^summary must be a string.*\(got an array\)/,
      );
    });
  });

  describe('author', () => {
    it('is stripped like the title', () => {
      assert.equal(
        accept(withField('author', '<a href="/p">Priya&nbsp;Sharma</a>')).author,
        'Priya Sharma',
      );
    });

    it('is omitted when empty after stripping', () => {
      assert.equal('author' in accept(withField('author', ' <br> ')), false);
    });

    it('may have 120 characters after stripping, not more', () => {
      assert.equal(
        accept(withField('author', `<b>${'a'.repeat(120)}</b>`)).author,
        'a'.repeat(120),
      );
      assert.match(
        rejectAt(withField('author', 'a'.repeat(121)), 'author'),
        /at most 120 .*got 121/,
      );
    });

    it('must be a string', () => {
      assert.match(rejectAt(withField('author', { name: 'x' }), 'author'), /\(got an object\)/);
    });
  });

  describe('channels', () => {
    it('accepts one channel as channel', () => {
      assert.deepEqual(accept(withField('channel', 'bihar')).channels, ['bihar']);
    });

    it('accepts an array as channels, without duplicates', () => {
      assert.deepEqual(accept(withField('channels', ['top', 'bihar', 'top'])).channels, [
        'top',
        'bihar',
      ]);
    });

    it('merges channel and channels, channel first, without duplicates', () => {
      const article = accept({
        url: URL_1,
        title: 'T',
        channel: 'bihar',
        channels: ['top', 'bihar', 'patna'],
      });
      assert.deepEqual(article.channels, ['bihar', 'top', 'patna']);
    });

    it('accepts 10 channels and rejects 11, counting both fields', () => {
      const ten = Array.from({ length: 10 }, (_, i) => `c${i}`);
      assert.deepEqual(accept(withField('channels', ten)).channels, ten);
      assert.match(
        rejectAt({ url: URL_1, title: 'T', channel: 'extra', channels: ten }, 'channels'),
        /at most 10 .*got 11/,
      );
    });

    it('rejects an empty array and a non-array', () => {
      assert.match(rejectAt(withField('channels', []), 'channels'), /at least one channel/);
      assert.match(
        rejectAt(withField('channels', 'bihar'), 'channels'),
        /must be an array .*"channels": \["bihar"\]/,
      );
    });

    it('reports each bad slug at its index', () => {
      const details = reject(withField('channels', ['top', 'ok-1', 'Bihar', 7, '-x']));
      assert.deepEqual(
        details.map((detail) => detail.path),
        ['channels[2]', 'channels[3]', 'channels[4]'],
      );
      assert.match(details[0]!.message, /lower-case .*did you mean "bihar"\?/);
      assert.match(details[1]!.message, /must be a string channel slug.*\(got a number\)/);
    });

    it('does not lower-case a slug for the producer', () => {
      assert.match(
        rejectAt(withField('channel', 'Bihar News'), 'channel'),
        /did you mean "bihar-news"\?/,
      );
    });

    it('accepts a 40-character slug and rejects 41', () => {
      accept(withField('channel', 'a'.repeat(40)));
      rejectAt(withField('channel', 'a'.repeat(41)), 'channel');
    });
  });

  describe('publishedAt', () => {
    it('converts an offset to UTC with milliseconds', () => {
      assert.equal(
        accept(withField('publishedAt', '2024-06-19T10:00:00+05:30')).publishedAt,
        '2024-06-19T04:30:00.000Z',
      );
      assert.equal(
        accept(withField('publishedAt', '2024-06-18T23:00:00-04:00')).publishedAt,
        '2024-06-19T03:00:00.000Z',
      );
    });

    it('accepts Z, fractions (truncated to milliseconds) and a time without seconds', () => {
      assert.equal(
        accept(withField('publishedAt', '2024-06-19T10:00:00.123456Z')).publishedAt,
        '2024-06-19T10:00:00.123Z',
      );
      assert.equal(
        accept(withField('publishedAt', '2024-06-19T10:00:00.5Z')).publishedAt,
        '2024-06-19T10:00:00.500Z',
      );
      assert.equal(
        accept(withField('publishedAt', '2024-06-19T10:00Z')).publishedAt,
        '2024-06-19T10:00:00.000Z',
      );
    });

    it('is omitted when the producer sends none', () => {
      assert.equal('publishedAt' in accept({ url: URL_1, title: 'T' }), false);
    });

    it('rejects a date without a time', () => {
      assert.match(
        rejectAt(withField('publishedAt', '2024-06-19'), 'publishedAt'),
        /a date alone is not enough/,
      );
    });

    it('rejects a time without an offset', () => {
      assert.match(
        rejectAt(withField('publishedAt', '2024-06-19T10:00:00'), 'publishedAt'),
        /add the offset/,
      );
    });

    it('rejects other formats and non-strings', () => {
      for (const value of [
        '19/06/2024 10:00',
        '2024-06-19T10:00:00+0530',
        'yesterday',
        1718791200000,
      ]) {
        assert.match(
          rejectAt(withField('publishedAt', value), 'publishedAt'),
          /such as "2024-06-19T10:00:00\+05:30"/,
        );
      }
    });

    it('rejects dates and times that do not exist', () => {
      for (const value of [
        '2024-13-01T00:00:00Z',
        '2024-02-30T00:00:00Z',
        '2023-02-29T00:00:00Z',
        '2024-06-19T24:00:00Z',
        '2024-06-19T10:60:00Z',
        '2024-06-19T10:00:00+24:00',
      ]) {
        assert.match(
          rejectAt(withField('publishedAt', value), 'publishedAt'),
          /must be a real date and time/,
          value,
        );
      }
      accept(withField('publishedAt', '2024-02-29T00:00:00Z'));
    });

    it('accepts 4 and exactly 5 minutes in the future but not more', () => {
      const at = (ms: number): string => new Date(NOW + ms).toISOString();
      accept(withField('publishedAt', at(4 * 60_000)));
      accept(withField('publishedAt', at(5 * 60_000)));
      const message = rejectAt(withField('publishedAt', at(5 * 60_000 + 1)), 'publishedAt');
      assert.match(message, /not be more than 5 minutes in the future/);
      rejectAt(withField('publishedAt', '2024-06-19T17:40:00+05:30'), 'publishedAt');
    });
  });

  describe('imageUrl and lang', () => {
    it('keeps imageUrl as the parsed URL, query and fragment included', () => {
      assert.equal(
        accept(withField('imageUrl', 'https://CDN.example.com/i.jpg?utm_source=x&sig=1')).imageUrl,
        'https://cdn.example.com/i.jpg?utm_source=x&sig=1',
      );
    });

    it('rejects an imageUrl that is not an absolute http(s) URL or has credentials', () => {
      assert.match(
        rejectAt(withField('imageUrl', 'data:image/png;base64,AA'), 'imageUrl'),
        /such as https:\/\/example\.com\/images\/1\.jpg/,
      );
      assert.match(
        rejectAt(withField('imageUrl', 'https://a:b@example.com/i.jpg'), 'imageUrl'),
        /user name or password/,
      );
      rejectAt(withField('imageUrl', 5), 'imageUrl');
    });

    it('canonicalises lang', () => {
      assert.equal(accept(withField('lang', 'HI')).lang, 'hi');
      assert.equal(accept(withField('lang', ' en-in ')).lang, 'en-IN');
    });

    it('rejects an invalid, too long or non-string lang', () => {
      assert.match(rejectAt(withField('lang', 'en_US'), 'lang'), /use "-", not "_"/);
      assert.match(
        rejectAt(withField('lang', 'english!'), 'lang'),
        /BCP-47 language tag, such as "hi"/,
      );
      assert.match(
        rejectAt(withField('lang', 'en-US-u-ca-gregory-nu-latn-hc-h23-fw-mon'), 'lang'),
        /at most 35/,
      );
      assert.match(rejectAt(withField('lang', 1), 'lang'), /\(got a number\)/);
    });
  });

  describe('reporting', () => {
    it('reports every problem at once, each at its field', () => {
      const details = reject({
        id: false,
        url: 'ftp://x',
        title: '<p></p>',
        summary: 3,
        channel: 'Top',
        channels: ['ok', 'NO'],
        author: [],
        publishedAt: '2024-06-19',
        imageUrl: 'nope',
        lang: 'x_y',
      });
      assert.deepEqual(
        details.map((detail) => detail.path),
        [
          'url',
          'title',
          'id',
          'summary',
          'channel',
          'channels[1]',
          'author',
          'publishedAt',
          'imageUrl',
          'lang',
        ],
      );
      for (const { path, message } of details) {
        assert.ok(message.startsWith(path.replace(/\[\d+\]$/, '')), message);
        assert.match(message, /such as /, message);
        assert.match(message, /\.$|\?$/, message);
      }
    });
  });
});

describe('validateNormalizedArticle', () => {
  const full = (): NormalizedArticle =>
    accept({
      id: 42,
      url: 'https://example.com/news/1?utm_source=x',
      title: 'a &lt;b&gt; c',
      summary: 'x '.repeat(400),
      channels: ['top', 'bihar'],
      author: 'Priya',
      publishedAt: '2024-06-19T10:00:00+05:30',
      imageUrl: 'https://example.com/i.jpg',
      lang: 'hi',
    });

  it('accepts normalizeArticle output unchanged, decoded markup in the title included', () => {
    const article = full();
    assert.equal(article.title, 'a <b> c');
    assert.deepEqual(validateNormalizedArticle(article), { ok: true, article });
    const minimal = accept({ url: URL_1, title: DEVANAGARI_TITLE });
    assert.deepEqual(validateNormalizedArticle(minimal), { ok: true, article: minimal });
  });

  it('survives a JSON round trip through the queue', () => {
    const article = full();
    assert.deepEqual(validateNormalizedArticle(JSON.parse(JSON.stringify(article))), {
      ok: true,
      article,
    });
  });

  it('drops unknown keys', () => {
    const article = full();
    assert.deepEqual(validateNormalizedArticle({ ...article, extra: 1 }), { ok: true, article });
  });

  it('rejects a tampered id', () => {
    const article = full();
    const result = validateNormalizedArticle({ ...article, id: postIdFor('other', article.url) });
    assert.deepEqual(
      detailsOf(result).map((detail) => detail.path),
      ['id'],
    );
  });

  it('rejects a changed url or producerId, which no longer give the id', () => {
    const article = full();
    const noProducer = { ...article, producerId: undefined };
    assert.equal(validateNormalizedArticle(noProducer).ok, false);
    const minimal = accept({ url: URL_1, title: 'T' });
    assert.equal(
      validateNormalizedArticle({ ...minimal, url: 'https://example.com/news/2' }).ok,
      false,
    );
  });

  it('rejects broken shapes and limits with paths', () => {
    const article = full();
    const details = detailsOf(
      validateNormalizedArticle({
        ...article,
        url: 'HTTPS://Example.com/news/1',
        title: 'a'.repeat(301),
        channels: ['top', 'Bihar'],
        publishedAt: '2024-06-19T10:00:00Z',
        lang: 'HI',
        summary: 5,
      }),
    );
    assert.deepEqual(
      details.map((detail) => detail.path),
      ['url', 'title', 'summary', 'channels[1]', 'lang', 'publishedAt'],
    );
    for (const { path, message } of details) assert.ok(message.startsWith(path), message);
  });

  it('requires the fields of every article', () => {
    const details = detailsOf(validateNormalizedArticle({}));
    assert.deepEqual(
      details.map((detail) => `${detail.path}: ${detail.message}`),
      [
        'id: id is required.',
        'url: url is required.',
        'title: title is required.',
        'channels: channels must be an array of channel slugs.',
      ],
    );
  });

  it("rejects a non-object at path ''", () => {
    assert.deepEqual(validateNormalizedArticle('x'), {
      ok: false,
      details: [{ path: '', message: 'The article must be an object.' }],
    });
  });
});

describe('splitBatch', () => {
  const article = { url: URL_1, title: 'T' };
  const appError = (code: string) => (error: unknown) => {
    if (!(error instanceof AppError)) return false;
    assert.equal(error.status, 400);
    assert.equal(error.code, code);
    return true;
  };

  it('returns one article object as a batch of one', () => {
    assert.deepEqual(splitBatch(article), [article]);
  });

  it('returns the items of articles', () => {
    assert.deepEqual(splitBatch({ articles: [article, 'anything'] }), [article, 'anything']);
  });

  it('accepts 100 articles', () => {
    assert.equal(
      splitBatch({ articles: Array.from({ length: ARTICLE_LIMITS.batch }, () => article) }).length,
      100,
    );
  });

  it('rejects more than 100 articles with too_many_articles', () => {
    assert.throws(
      () => splitBatch({ articles: Array.from({ length: 101 }, () => article) }),
      appError('too_many_articles'),
    );
  });

  it('rejects an empty articles array', () => {
    assert.throws(() => splitBatch({ articles: [] }), appError('invalid_body'));
  });

  it('rejects articles that is not an array, with a detail at articles', () => {
    assert.throws(
      () => splitBatch({ articles: { url: URL_1 } }),
      (error: unknown) => {
        appError('invalid_body')(error);
        assert.deepEqual(
          (error as AppError).details?.map((detail) => detail.path),
          ['articles'],
        );
        return true;
      },
    );
    assert.throws(() => splitBatch({ articles: null }), appError('invalid_body'));
  });

  it('rejects a body that is not an object, a bare array included', () => {
    for (const body of [null, undefined, 'x', 1, true, [article]]) {
      assert.throws(() => splitBatch(body), appError('invalid_body'), JSON.stringify(body));
    }
  });
});

describe('toStoredPost', () => {
  it('keeps the fields of StoredPost in order, without producerId', () => {
    const article = accept({
      id: 'g',
      url: URL_1,
      title: 'T',
      summary: 'S',
      author: 'A',
      channels: ['top'],
      imageUrl: 'https://example.com/i.jpg',
      lang: 'hi',
      publishedAt: '2024-06-19T10:00:00Z',
    });
    const post = toStoredPost(article, article.publishedAt!);
    assert.deepEqual(Object.keys(post), [
      'id',
      'url',
      'title',
      'summary',
      'author',
      'channels',
      'imageUrl',
      'lang',
      'publishedAt',
    ]);
    assert.equal(post.publishedAt, '2024-06-19T10:00:00.000Z');
  });

  it('has no undefined keys and copies the channels', () => {
    const article = accept({ url: URL_1, title: 'T' });
    const post = toStoredPost(article, '2024-06-19T12:00:00.000Z');
    assert.deepEqual(post, {
      id: article.id,
      url: URL_1,
      title: 'T',
      channels: ['top'],
      publishedAt: '2024-06-19T12:00:00.000Z',
    });
    assert.notEqual(post.channels, article.channels);
  });
});

describe('postContentHash', () => {
  const post: StoredPost = toStoredPost(
    accept({ url: URL_1, title: 'T', summary: 'S' }),
    '2024-06-19T12:00:00.000Z',
  );

  it('is 32 hex digits', () => {
    assert.match(postContentHash(post), /^[0-9a-f]{32}$/);
  });

  it('does not change with updatedAt or key order', () => {
    const reordered: StoredPost = Object.fromEntries(
      Object.entries(post).reverse(),
    ) as unknown as StoredPost;
    assert.equal(
      postContentHash({ ...post, updatedAt: '2024-06-19T13:00:00.000Z' }),
      postContentHash(post),
    );
    assert.equal(postContentHash(reordered), postContentHash(post));
  });

  it('changes when the title, summary, channels or publishedAt change', () => {
    const hash = postContentHash(post);
    assert.notEqual(postContentHash({ ...post, title: 'T2' }), hash);
    assert.notEqual(postContentHash({ ...post, summary: undefined }), hash);
    assert.notEqual(postContentHash({ ...post, channels: ['top', 'bihar'] }), hash);
    assert.notEqual(postContentHash({ ...post, publishedAt: '2024-06-19T12:00:00.001Z' }), hash);
  });
});
