/**
 * The articles of a `POST /api/articles` body: one article, or a batch of them. What the body
 * must look like is the route's business; each article is checked apart (normalizeArticle).
 */
import { isObject, kindOf } from '../../shared/domain/article/fields.js';
import { ARTICLE_LIMITS } from '../../shared/domain/article/limits.js';
import { AppError } from '../../shared/infra/errors.js';

const BODY_RULE = `The body must be one article as a JSON object, or {"articles": [...]} with 1 to ${ARTICLE_LIMITS.batch} articles`;

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
  if (Array.isArray(body)) {
    throw new AppError(
      400,
      'invalid_body',
      `${BODY_RULE}: wrap a list of articles as {"articles": [...]}.`,
    );
  }
  if (!isObject(body))
    throw new AppError(400, 'invalid_body', `${BODY_RULE} (got ${kindOf(body)}).`);
  if (!Object.hasOwn(body, 'articles')) return [body];
  const articles = body.articles;
  if (!Array.isArray(articles)) {
    const message = `articles must be an array of 1 to ${ARTICLE_LIMITS.batch} article objects (got ${kindOf(articles)}).`;
    throw new AppError(400, 'invalid_body', message, [{ path: 'articles', message }]);
  }
  const items: unknown[] = articles;
  if (items.length === 0) {
    const message = 'articles must hold at least one article.';
    throw new AppError(400, 'invalid_body', message, [{ path: 'articles', message }]);
  }
  if (items.length > ARTICLE_LIMITS.batch) {
    const message = `articles must hold at most ${ARTICLE_LIMITS.batch} articles (got ${items.length}); send the rest in further requests.`;
    throw new AppError(400, 'too_many_articles', message, [{ path: 'articles', message }]);
  }
  return items;
}
