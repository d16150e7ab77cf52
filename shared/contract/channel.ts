/**
 * A channel is a sub-brand's feed ("bihar", "delhi", "top"): a slug of lower-case ASCII letters,
 * digits and hyphens, 1–40 long, not starting with `-`; it appears in Redis keys and room names.
 */
export const CHANNEL_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

export const DEFAULT_CHANNEL = 'top';
