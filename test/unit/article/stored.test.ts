import assert from 'node:assert/strict';
import type { StoredPost } from '../../../shared/contract/protocol.js';
import type { NormalizedArticle } from '../../../shared/domain/article/normalize.js';
import { postIdFor } from '../../../shared/domain/article/post-id.js';
import {
  postContentHash,
  toStoredPost,
  validateNormalizedArticle,
} from '../../../shared/domain/article/stored.js';
import { accept, detailsOf, DEVANAGARI_TITLE, URL_1 } from '../../helpers/articles.js';

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
