/**
 * Articles in (SPEC §4): one article as a producer sent it, checked and made canonical, each field
 * by its reader (fields.ts). The entry of the article modules; Node only (the post id is a SHA-256).
 */
import type { StoredPost } from '../../contract/protocol.js';
import type { ErrorDetail } from '../../infra/errors.js';
import { withoutUndefined } from '../../infra/without-undefined.js';
import {
  EXAMPLES,
  isObject,
  readArticleUrl,
  readAuthor,
  readChannels,
  readImageUrl,
  readLang,
  readProducerId,
  readPublishedAt,
  readSummary,
  readTitle,
  type Report,
} from './fields.js';
import { postIdFor } from './post-id.js';

/**
 * An article after {@link normalizeArticle}: checked, stripped, canonical. It has the post's
 * fields (`id` is the post id, {@link postIdFor} of `producerId` and `url`; `url` is canonical;
 * text is plain and NFC), plus the producer's own id, and a `publishedAt` only when the producer
 * sent one (the worker fills in the accepted time otherwise).
 */
export type NormalizedArticle = Omit<StoredPost, 'publishedAt' | 'updatedAt'> & {
  /** The producer's own stable id (an RSS guid, a CMS id), trimmed. */
  producerId?: string;
  /** ISO-8601 UTC with milliseconds; only when the producer sent one. */
  publishedAt?: string;
};

/** The outcome of {@link normalizeArticle} and of `validateNormalizedArticle` (stored.ts). */
export type ArticleResult =
  { ok: true; article: NormalizedArticle } | { ok: false; details: ErrorDetail[] };

const NOT_AN_OBJECT = `The article must be a JSON object, such as {"url": "${EXAMPLES.url}", "title": "Monsoon reaches Kerala"}.`;

/**
 * Validates and normalises one article as a producer sent it (SPEC §4).
 *
 * Every problem is reported at once, each as `{ path, message }` with the field name as the path
 * (`title`, `channels[2]`; `''` when the article is not an object) and a sentence naming the rule
 * with an example of a good value. Unknown fields are ignored; `null` counts as absent for the
 * optional fields.
 *
 * Text fields are read as HTML (`htmlToText`) and NFC-normalised; `title` must then have
 * 1–300 characters, `author` at most 120 (empty: omitted), and `summary` is cut at a word to at
 * most 500 with "…" (empty: omitted). `url` is made canonical and, with the producer `id` when
 * given, yields the post id ({@link postIdFor}). `publishedAt` may be at most 5 minutes ahead of
 * `now`.
 *
 * @param input The parsed JSON of one article.
 * @param now The server's clock, in epoch milliseconds.
 */
export function normalizeArticle(input: unknown, now: number): ArticleResult {
  if (!isObject(input)) return { ok: false, details: [{ path: '', message: NOT_AN_OBJECT }] };
  const details: ErrorDetail[] = [];
  const report: Report = (path, message) => {
    details.push({ path, message });
  };
  const field = (name: string): unknown => (Object.hasOwn(input, name) ? input[name] : undefined);

  const url = readArticleUrl(field('url'), report);
  const title = readTitle(field('title'), report);
  const producerId = readProducerId(field('id'), report);
  const summary = readSummary(field('summary'), report);
  const channels = readChannels(field('channel'), field('channels'), report);
  const author = readAuthor(field('author'), report);
  const publishedAt = readPublishedAt(field('publishedAt'), now, report);
  const imageUrl = readImageUrl(field('imageUrl'), report);
  const lang = readLang(field('lang'), report);

  if (details.length > 0 || url === undefined || title === undefined || channels === undefined) {
    return { ok: false, details };
  }
  const id = postIdFor(producerId, url);
  const article = {
    id,
    producerId,
    url,
    title,
    summary,
    author,
    channels,
    imageUrl,
    lang,
    publishedAt,
  };
  return { ok: true, article: withoutUndefined(article) };
}
