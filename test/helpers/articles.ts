/**
 * Articles for the tests of the article modules: sample values, and normalizeArticle's answer read
 * as an acceptance or a rejection, failing the test otherwise.
 */
import assert from 'node:assert/strict';
import {
  normalizeArticle,
  type ArticleResult,
  type NormalizedArticle,
} from '../../shared/domain/article/normalize.js';
import type { ErrorDetail } from '../../shared/infra/errors.js';

export const NOW = Date.parse('2024-06-19T12:00:00.000Z');
export const URL_1 = 'https://example.com/news/1';
export const DEVANAGARI_TITLE =
  '2 महीने के बच्चे की मां ने पटककर ली जान, प्लेटफार्म पर बच्चे को 3 बार पटकी, जानें पूरा मामला';
export const CURLY_TITLE =
  'CM नीतीश पर सुधाकर सिंह का बड़ा हमला, कहा- ‘दाल में कुछ तो काला है, जिसकी सफाई …’';

/** The article of an accepted input; fails the test with the details otherwise. */
export function accept(input: unknown, now = NOW): NormalizedArticle {
  const result = normalizeArticle(input, now);
  if (result.ok) return result.article;
  throw new assert.AssertionError({
    message: `expected the article to be accepted: ${JSON.stringify(result.details)}`,
  });
}

/** The details of a rejection; fails the test on an acceptance. */
export function detailsOf(result: ArticleResult): ErrorDetail[] {
  if (!result.ok) return result.details;
  throw new assert.AssertionError({
    message: `expected the article to be rejected: ${JSON.stringify(result.article)}`,
  });
}

/** The details of a rejected input; fails the test if it was accepted. */
export function reject(input: unknown, now = NOW): ErrorDetail[] {
  return detailsOf(normalizeArticle(input, now));
}
