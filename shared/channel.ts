/** A channel is a sub-brand's feed ("bihar", "delhi", "top"): a slug, used in keys and rooms. */
export const CHANNEL_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

export const DEFAULT_CHANNEL = 'top';

export function isChannel(value: unknown): value is string {
  return typeof value === 'string' && CHANNEL_PATTERN.test(value);
}
