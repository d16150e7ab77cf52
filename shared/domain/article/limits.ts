/**
 * The limits of an article (SPEC §4), and how text is measured against them.
 */

/** The limits of SPEC §4, in characters (Unicode code points, see {@link charCount}) unless named otherwise. */
export const ARTICLE_LIMITS = {
  url: 2048,
  title: 300,
  summary: 500,
  author: 120,
  producerId: 512,
  lang: 35,
  channels: 10,
  /** How far `publishedAt` may be ahead of the server's clock, in milliseconds. */
  futureMs: 5 * 60_000,
  /** Articles per request. */
  batch: 100,
} as const;

const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

/**
 * Length in Unicode code points, as every limit of {@link ARTICLE_LIMITS} counts: an emoji is one
 * character, not the two UTF-16 units of `text.length`.
 */
export function charCount(text: string): number {
  return text.length - (text.match(SURROGATE_PAIR)?.length ?? 0);
}
