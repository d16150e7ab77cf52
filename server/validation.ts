import { z } from 'zod';
import { CHANNEL_PATTERN } from '../shared/contract/channel.js';
import { appError } from '../shared/infra/errors.js';

/** A channel name in a request, with messages that show a good value in the request's own syntax. */
export function channelField(example: (name: string) => string): z.ZodString {
  return z
    .string({ error: `channel must be one channel name, such as ${example('top')}` })
    .regex(
      CHANNEL_PATTERN,
      `channel must be a slug of lowercase letters, digits and dashes, such as ${example('bihar')}`,
    );
}

/** The parsed value, or a 400 with `code` and one detail per problem (the first as the message). */
export function parseOr400<T>(
  schema: z.ZodType<T>,
  input: unknown,
  code: 'invalid_query' | 'invalid_source',
): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((issue) => ({
    path: issue.path.join('.'),
    message: issue.message,
  }));
  throw appError(code, { details });
}

/**
 * A `limit` query parameter from 1 to `max`, `fallback` when absent; every message shows
 * `limit=<example>` so the caller sees a good value.
 */
export function limitField(max: number, fallback: number, example = fallback) {
  const good = `such as limit=${example}`;
  return z.coerce
    .number({ error: `limit must be a number from 1 to ${max}, ${good}` })
    .int(`limit must be a whole number from 1 to ${max}, ${good}`)
    .min(1, `limit must be at least 1, ${good}`)
    .max(max, `limit must be at most ${max}, ${good}`)
    .default(fallback);
}

/** A `locale` query parameter; resolveLocale decides what an unsupported tag falls back to. */
export const localeField = z
  .string({ error: 'locale must be one language tag, such as locale=hi' })
  .optional();
