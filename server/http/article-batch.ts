/**
 * The articles of a `POST /api/articles` body: one article, or a batch of them. What the body
 * must look like is the route's business; each article is checked apart (normalizeArticle).
 */
import { isObject, kindOf } from '../../shared/domain/article/fields.js';
import { ARTICLE_LIMITS } from '../../shared/domain/article/limits.js';
import { appError } from '../../shared/infra/errors.js';

/**
 * The articles of a request body: the body itself when it is one article object, or the items of
 * `articles` when the body is an object with that key (1–100 items; the items are not checked
 * here, see `normalizeArticle`).
 *
 * @throws AppError 400 `invalid_body` when the body is not an object (a bare array included: wrap
 *   it as `{"articles": [...]}`), `articles` is not an array, or it is empty.
 * @throws AppError 400 `too_many_articles` when `articles` has more than 100 items.
 */
export function splitBatch(body: unknown): unknown[] {
  const max = ARTICLE_LIMITS.batch;
  if (Array.isArray(body)) throw appError('invalid_body', { problem: 'bare_array', max });
  if (!isObject(body))
    throw appError('invalid_body', { problem: 'not_an_object', got: kindOf(body), max });
  if (!Object.hasOwn(body, 'articles')) return [body];
  const articles = body.articles;
  if (!Array.isArray(articles)) {
    const got = kindOf(articles);
    throw appError('invalid_body', { problem: 'articles_not_array', got, max, path: 'articles' });
  }
  const items: unknown[] = articles;
  if (items.length === 0) {
    throw appError('invalid_body', { problem: 'articles_empty', path: 'articles' });
  }
  if (items.length > max) {
    throw appError('too_many_articles', { max, got: items.length, path: 'articles' });
  }
  return items;
}
