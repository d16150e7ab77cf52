import { z } from 'zod';
import { CHANNEL_PATTERN } from '../shared/channel.js';

/** A channel name in a request, with messages that show a good value in the request's own syntax. */
export function channelField(example: (name: string) => string): z.ZodString {
  return z
    .string({ error: `channel must be one channel name, such as ${example('top')}` })
    .regex(
      CHANNEL_PATTERN,
      `channel must be a slug of lowercase letters, digits and dashes, such as ${example('bihar')}`,
    );
}
