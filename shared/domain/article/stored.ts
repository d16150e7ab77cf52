/**
 * What the worker stores: its check of an article that arrives through the queue, the post it
 * stores for it, and the content hash that tells an unchanged re-send from an update.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CHANNEL_PATTERN } from '../../contract/channel.js';
import type { StoredPost } from '../../contract/protocol.js';
import { withoutUndefined } from '../../infra/without-undefined.js';
import { canonicalLanguageTag, hasCredentials, parseHttpUrl } from './fields.js';
import { ARTICLE_LIMITS, charCount } from './limits.js';
import type { ArticleResult, NormalizedArticle } from './normalize.js';
import { canonicalUrl, POST_ID_PATTERN, postIdFor } from './post-id.js';

const requiredString = z.string({
  error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string'),
});

/** Text as normalizeArticle leaves it: not blank, at most `max` characters. Not re-stripped. */
const storedText = (max: number) =>
  requiredString.refine((text) => text.trim() !== '' && charCount(text) <= max, {
    error: `must be 1 to ${max} characters of text`,
  });

const storedUrl = (canonical: boolean) =>
  requiredString.refine(
    (text) => {
      const url = text.length <= ARTICLE_LIMITS.url ? parseHttpUrl(text) : undefined;
      return (
        url !== undefined && !hasCredentials(url) && (!canonical || canonicalUrl(text) === text)
      );
    },
    {
      error: `must be an absolute http: or https: URL of at most ${ARTICLE_LIMITS.url} characters${canonical ? ', in canonical form' : ''}`,
    },
  );

const normalizedArticleSchema = z
  .object(
    {
      id: requiredString.regex(POST_ID_PATTERN, {
        error: 'must be a post id: "p" and 22 base64url characters',
      }),
      producerId: requiredString
        .refine(
          (id) => id !== '' && id === id.trim() && charCount(id) <= ARTICLE_LIMITS.producerId,
          {
            error: `must be 1 to ${ARTICLE_LIMITS.producerId} characters, trimmed`,
          },
        )
        .optional(),
      url: storedUrl(true),
      title: storedText(ARTICLE_LIMITS.title),
      summary: storedText(ARTICLE_LIMITS.summary).optional(),
      author: storedText(ARTICLE_LIMITS.author).optional(),
      channels: z
        .array(requiredString.regex(CHANNEL_PATTERN, { error: 'must be a channel slug' }), {
          error: 'must be an array of channel slugs',
        })
        .min(1, { error: 'must list at least one channel' })
        .max(ARTICLE_LIMITS.channels, {
          error: `must list at most ${ARTICLE_LIMITS.channels} channels`,
        })
        .refine((list) => new Set(list).size === list.length, {
          error: 'must not repeat a channel',
        }),
      imageUrl: storedUrl(false).optional(),
      lang: requiredString
        .max(ARTICLE_LIMITS.lang, { error: `must be at most ${ARTICLE_LIMITS.lang} characters` })
        .refine((tag) => canonicalLanguageTag(tag) === tag, {
          error: 'must be a canonical BCP-47 tag',
        })
        .optional(),
      publishedAt: z.iso
        .datetime({ precision: 3, error: 'must be an ISO-8601 UTC date-time with milliseconds' })
        .optional(),
    },
    { error: 'must be an object' },
  )
  .refine((article) => article.id === postIdFor(article.producerId, article.url), {
    path: ['id'],
    error: 'must be the post id of producerId and url (postIdFor)',
  });

/** `['channels', 2]` → `channels[2]`. */
function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => {
      if (typeof key === 'number') return `[${key}]`;
      return index === 0 ? String(key) : `.${String(key)}`;
    })
    .join('');
}

/**
 * Checks the shape and limits of an article that {@link normalizeArticle} produced (for the
 * worker, which receives it through the queue), including that `id` is the post id of
 * `producerId` and `url`.
 *
 * Text is not stripped or decoded again (that is not idempotent: `a &lt;b&gt; c` became
 * `a <b> c`, which must stay), so normalizeArticle's output passes unchanged. Unknown keys are
 * dropped (a newer API may add fields an older worker does not know).
 */
export function validateNormalizedArticle(data: unknown): ArticleResult {
  const result = normalizedArticleSchema.safeParse(data);
  if (result.success) return { ok: true, article: withoutUndefined(result.data) };
  const details = result.error.issues.map((issue) => {
    const path = formatPath(issue.path);
    return { path, message: `${path === '' ? 'The article' : path} ${issue.message}.` };
  });
  return { ok: false, details };
}

/**
 * The post to store for an article: its fields in the order of {@link StoredPost}, without
 * `producerId` and without undefined keys.
 *
 * @param publishedAt The article's `publishedAt`, or the time it was accepted when it has none
 *   (ISO-8601 UTC with milliseconds).
 */
export function toStoredPost(article: NormalizedArticle, publishedAt: string): StoredPost {
  const { id, url, title, summary, author, channels, imageUrl, lang } = article;
  const post = {
    id,
    url,
    title,
    summary,
    author,
    channels: [...channels],
    imageUrl,
    lang,
    publishedAt,
  };
  return withoutUndefined(post);
}

/**
 * The fields a content hash covers: all but `updatedAt`. Typed against StoredPost, so a field
 * added there must be added here too.
 */
const CONTENT_FIELDS = {
  id: true,
  url: true,
  title: true,
  summary: true,
  author: true,
  channels: true,
  imageUrl: true,
  lang: true,
  publishedAt: true,
  updatedAt: false,
} as const satisfies Record<keyof StoredPost, boolean>;

/**
 * A hash of everything a reader sees of a post (every field but `updatedAt`), to tell an unchanged
 * re-send from an update: the first 32 hex digits of the SHA-256 of the fields, serialised in a
 * fixed order (absent ones as `null`), whatever the key order of `post`.
 */
export function postContentHash(post: StoredPost): string {
  const fields = (Object.keys(CONTENT_FIELDS) as (keyof StoredPost)[]).filter(
    (key) => CONTENT_FIELDS[key],
  );
  const serialized = JSON.stringify(fields.map((key) => [key, post[key] ?? null]));
  return createHash('sha256').update(serialized, 'utf8').digest('hex').slice(0, 32);
}
