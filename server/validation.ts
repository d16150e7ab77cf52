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
