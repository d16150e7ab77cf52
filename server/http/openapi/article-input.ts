/**
 * `POST /api/articles`' body as a zod schema, for the OpenAPI description. Articles are not
 * checked by zod but by normalizeArticle's field readers (each reports its own problems, with
 * suggestions, and cleans the text), so this schema states the same rules in JSON Schema's words
 * and the compiler holds it to the contract's `ArticlesRequest` ({@link inStep}); the API test
 * checks that what it documents as valid, normalizeArticle accepts.
 */
import { z } from 'zod';
import type { ArticlesRequest } from '../../../shared/contract/http.js';
import { ARTICLE_LIMITS } from '../../../shared/domain/article/limits.js';
import { channelName } from './protocol-schemas.js';
import { inStep } from './same-type.js';

/** Absolute http: or https: without credentials, as normalizeArticle's URL reader wants. */
const httpUrl = z
  .string()
  .max(ARTICLE_LIMITS.url)
  .regex(/^https?:\/\/[^\s]+$/i);

export const articleInput = z
  .object({
    url: httpUrl.meta({ description: 'The article; with `id`, the post id comes from it.' }),
    title: z.string().meta({
      description: `Read as HTML: tags stripped, entities decoded; 1–${ARTICLE_LIMITS.title} characters of text remain.`,
    }),
    id: z.string().optional().meta({
      description:
        "The producer's stable id (an RSS guid; a whole number is taken too): the post id comes from it, else from `url`.",
    }),
    summary: z
      .string()
      .optional()
      .meta({
        description: `Read as HTML; cut at a word to ${ARTICLE_LIMITS.summary} characters.`,
      }),
    channels: z.array(channelName).min(1).max(ARTICLE_LIMITS.channels).optional().meta({
      description: 'Default `["top"]`; duplicates are dropped.',
    }),
    channel: channelName.optional().meta({ description: 'One channel, instead of `channels`.' }),
    author: z
      .string()
      .optional()
      .meta({
        description: `Read as HTML; at most ${ARTICLE_LIMITS.author} characters.`,
      }),
    publishedAt: z.iso.datetime({ offset: true }).optional().meta({
      description:
        'With a Z or ±hh:mm offset, at most 5 minutes ahead; the time accepted when left out.',
    }),
    imageUrl: httpUrl.optional(),
    lang: z.string().max(ARTICLE_LIMITS.lang).optional().meta({
      description: 'A BCP-47 tag, such as `hi` or `en-IN`.',
    }),
  })
  .meta({
    title: 'ArticleInput',
    description:
      'Unknown fields are ignored; `null` counts as absent for the optional ones. Every problem is reported at once, in `details`.',
  });

export const articlesRequest = z.union([
  articleInput,
  z.object({ articles: z.array(articleInput).min(1).max(ARTICLE_LIMITS.batch) }),
]);
inStep<z.output<typeof articlesRequest>, ArticlesRequest>();
