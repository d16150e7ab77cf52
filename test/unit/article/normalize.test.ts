import assert from 'node:assert/strict';
import { POST_ID_PATTERN, postIdFor } from '../../../shared/domain/article/post-id.js';
import {
  accept,
  CURLY_TITLE,
  DEVANAGARI_TITLE,
  NOW,
  reject,
  URL_1,
} from '../../helpers/articles.js';

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
