import assert from 'node:assert/strict';
import { ARTICLE_LIMITS } from '../../shared/domain/article/limits.js';
import { AppError } from '../../shared/infra/errors.js';
import { splitBatch } from '../../server/http/article-batch.js';
import { URL_1 } from '../helpers/articles.js';

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
