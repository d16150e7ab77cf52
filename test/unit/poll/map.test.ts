import assert from 'node:assert/strict';
import { normalizeArticle } from '../../../shared/domain/article/normalize.js';
import { itemKey, itemToArticle, mapFeedItem } from '../../../workers/poll/map.js';
import type { FeedItem } from '../../../workers/poll/parse/parsed-feed.js';
import { context, FIRST_SEEN, NOW } from '../../helpers/feed-fixtures.js';

describe('itemToArticle', () => {
  const item: FeedItem = {
    guid: 'urn:story:1',
    link: 'https://example.com/news/1?utm_source=rss',
    title: 'Monsoon <b>reaches</b> Kerala',
    summaryHtml: '<p>Heavy rain expected.</p>',
    contentHtml: '<p>Full story.</p>',
    author: 'Priya Sharma',
    published: 'Wed, 19 Jun 2024 10:00:00 +0530',
    imageUrl: 'https://example.com/1.jpg',
    lang: 'en_IN',
  };

  it('builds an article normalizeArticle accepts, with no id so the URL decides the post', () => {
    const article = itemToArticle(item, context({ channels: ['top', 'kerala'] }));
    assert.deepEqual(article, {
      url: 'https://example.com/news/1?utm_source=rss',
      title: 'Monsoon <b>reaches</b> Kerala',
      summary: '<p>Heavy rain expected.</p>',
      channels: ['top', 'kerala'],
      author: 'Priya Sharma',
      publishedAt: '2024-06-19T04:30:00.000Z',
      imageUrl: 'https://example.com/1.jpg',
      lang: 'en-IN',
    });
    const result = normalizeArticle(article, NOW);
    assert.ok(result.ok);
    assert.equal(result.article.title, 'Monsoon reaches Kerala');
  });

  it('gives the same post for one story from two feeds with different guids', () => {
    const a = itemToArticle(item, context());
    const b = itemToArticle(
      { ...item, guid: 'other-feed-42', link: 'HTTPS://Example.com/news/1#top' },
      context(),
    );
    const idOf = (article: Record<string, unknown> | null): string => {
      const result = normalizeArticle(article, NOW);
      assert.ok(result.ok);
      return result.article.id;
    };
    assert.equal(idOf(a), idOf(b));
  });

  it('falls back to a permalink guid, but not to one marked isPermaLink="false"', () => {
    const noLink = { guid: 'https://example.com/g', title: 'T' };
    assert.equal(itemToArticle(noLink, context())?.url, 'https://example.com/g');
    assert.equal(itemToArticle({ ...noLink, guidIsPermaLink: false }, context()), null);
    assert.equal(itemToArticle({ guid: 'article-123', title: 'T' }, context()), null);
  });

  it('resolves a link still relative against the feed URL', () => {
    const article = itemToArticle({ link: '/news/7', title: 'T' }, context());
    assert.equal(article?.url, 'https://feeds.example.com/news/7');
  });

  it('returns null without a usable URL, and reports why', () => {
    for (const link of [
      undefined,
      'javascript:alert(1)',
      'ftp://example.com/x',
      'https://u:p@example.com/',
      `https://example.com/${'a'.repeat(2100)}`,
    ]) {
      const candidate: FeedItem = link === undefined ? { title: 'T' } : { title: 'T', link };
      assert.equal(itemToArticle(candidate, context()), null, String(link));
      assert.deepEqual(mapFeedItem(candidate, context()), { ok: false, reason: 'no_url' });
    }
  });

  it('makes a title from the first words of the summary, else content; no text at all is null', () => {
    const words =
      'Heavy rain lashed the coast of Kerala on Wednesday as the monsoon arrived three days ahead of schedule, officials said.';
    const fromSummary = itemToArticle(
      { link: 'https://example.com/a', summaryHtml: `<p>${words}</p>` },
      context(),
    );
    assert.equal(
      fromSummary?.title,
      'Heavy rain lashed the coast of Kerala on Wednesday as the monsoon arrived three days ahead of…',
    );
    const fromContent = itemToArticle(
      {
        link: 'https://example.com/a',
        summaryHtml: '<img src="x.jpg">',
        contentHtml: 'Short text',
      },
      context(),
    );
    assert.equal(fromContent?.title, 'Short text');
    assert.equal(fromContent.summary, 'Short text');
    assert.deepEqual(mapFeedItem({ link: 'https://example.com/a', title: ' <br> ' }, context()), {
      ok: false,
      reason: 'no_title',
    });
  });

  it('cuts a title longer than the limit at a word instead of losing the item', () => {
    const long = `${'word '.repeat(100)}end`;
    const article = itemToArticle({ link: 'https://example.com/a', title: long }, context());
    const result = normalizeArticle(article, NOW);
    assert.ok(result.ok);
    assert.ok(result.article.title.endsWith('…'));
    assert.ok(result.article.title.length <= 300);
  });

  it('uses published, else updated, else the first-seen time; a future date is not believed', () => {
    const base = { link: 'https://example.com/a', title: 'T' };
    const publishedAt = (extra: Partial<FeedItem>): unknown =>
      itemToArticle({ ...base, ...extra }, context())?.publishedAt;
    const firstSeen = new Date(FIRST_SEEN).toISOString();
    assert.equal(publishedAt({ updated: '2024-01-02T03:04:05Z' }), '2024-01-02T03:04:05.000Z');
    assert.equal(
      publishedAt({ published: 'garbage', updated: '2024-01-02T03:04:05Z' }),
      '2024-01-02T03:04:05.000Z',
    );
    assert.equal(publishedAt({}), firstSeen);
    assert.equal(publishedAt({ published: 'soon' }), firstSeen);
    assert.equal(publishedAt({ published: new Date(NOW + 3_600_000).toUTCString() }), firstSeen);
  });

  it('passes on the notice of a date read with a guess, and only then', () => {
    const base = { link: 'https://example.com/a', title: 'T' };
    const guessed = mapFeedItem({ ...base, published: 'Tue, 10 Jun 2025 09:00:00 XYZ' }, context());
    assert.ok(guessed.ok);
    assert.equal(guessed.article.publishedAt, '2025-06-10T09:00:00.000Z');
    assert.equal(guessed.notice, 'unknown time zone "XYZ", read as UTC');
    const known = mapFeedItem({ ...base, published: 'Tue, 10 Jun 2025 09:00:00 PT' }, context());
    assert.ok(known.ok);
    assert.equal(known.article.publishedAt, '2025-06-10T16:00:00.000Z');
    assert.equal(known.notice, undefined);
  });

  it('drops an unusable author, image or language rather than the article', () => {
    const article = itemToArticle(
      {
        link: 'https://example.com/a',
        title: 'T',
        author: 'x'.repeat(200),
        imageUrl: 'https://user:pass@example.com/i.jpg',
        lang: 'not a language',
      },
      context({ lang: 'IT-it' }),
    );
    assert.deepEqual(article, {
      url: 'https://example.com/a',
      title: 'T',
      channels: ['top'],
      publishedAt: new Date(FIRST_SEEN).toISOString(),
      lang: 'it-IT',
    });
    assert.ok(normalizeArticle(article, NOW).ok);
  });
});

describe('itemKey', () => {
  it('is the guid, else the link, else a SHA-256 of title and content', () => {
    assert.equal(itemKey({ guid: 'g-1', link: 'https://example.com/1' }), 'g-1');
    assert.equal(itemKey({ link: 'https://example.com/1' }), 'https://example.com/1');
    const key = itemKey({ title: 'T', contentHtml: '<p>c</p>' });
    assert.match(key, /^sha256:[0-9a-f]{64}$/);
    assert.equal(itemKey({ title: 'T', contentHtml: '<p>c</p>' }), key);
    assert.notEqual(itemKey({ title: 'T', contentHtml: '<p>d</p>' }), key);
  });
});
