/**
 * "5 mins ago"-style labels for the live feed, plus the instant each label goes stale so a client
 * can schedule one re-render instead of polling. DOM- and Node-free: this module is also bundled
 * for browsers.
 */

import { BoundedCache } from './bounded-cache.js';

/** Ages below this read as "now": second-level precision would make every label churn. */
export const NOW_THRESHOLD_MS = 60_000;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Longest locale tag `resolveLocale` accepts; it bounds the work done on untrusted input. */
const MAX_LOCALE_LENGTH = 35;

type Unit = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

/** The label an age maps to, and the age (ms since publish) at which that label stops applying. */
interface Bucket {
  unit: Unit | 'now';
  amount: number;
  until: number;
}

/**
 * Single source of truth for both the text and its expiry, so `nextChangeAt` can never disagree
 * with `formatAgo`. Weeks and months are capped at 30 d and 365 d because the next, coarser unit
 * takes over there rather than at a multiple of the current one.
 */
function bucket(age: number): Bucket {
  if (age < NOW_THRESHOLD_MS) return { unit: 'now', amount: 0, until: NOW_THRESHOLD_MS };
  if (age < HOUR) return step('minute', age, MINUTE, HOUR);
  if (age < DAY) return step('hour', age, HOUR, DAY);
  if (age < 7 * DAY) return step('day', age, DAY, 7 * DAY);
  if (age < 30 * DAY) return step('week', age, 7 * DAY, 30 * DAY);
  if (age < 365 * DAY) return step('month', age, 30 * DAY, 365 * DAY);
  return step('year', age, 365 * DAY, Infinity);
}

function step(unit: Unit, age: number, size: number, cap: number): Bucket {
  const amount = Math.floor(age / size);
  return { unit, amount, until: Math.min((amount + 1) * size, cap) };
}

/** Epoch ms of `publishedAt`; strings go through `Date.parse` so ISO 8601 from the API works. */
function toEpoch(publishedAt: Date | number | string): number {
  const ms =
    publishedAt instanceof Date
      ? publishedAt.getTime()
      : typeof publishedAt === 'number'
        ? publishedAt
        : Date.parse(publishedAt);
  if (!Number.isFinite(ms)) throw new RangeError(`Invalid publishedAt: ${String(publishedAt)}`);
  return ms;
}

/** Clamped at 0 so clock skew between publisher and reader shows "now", not a negative age. */
function ageOf(publishedAt: Date | number | string, now: number): { at: number; age: number } {
  if (!Number.isFinite(now)) throw new RangeError(`Invalid now: ${String(now)}`);
  const at = toEpoch(publishedAt);
  return { at, age: Math.max(0, now - at) };
}

interface Formatters {
  always: Intl.RelativeTimeFormat;
  auto: Intl.RelativeTimeFormat;
}

/**
 * Entries each per-locale cache keeps. Locales come from anonymous clients, so every cache keyed
 * by one must be bounded; a page shows a handful of locales and a newsroom a few dozen, so the
 * oldest entry going first costs a busy node nothing.
 */
export const LOCALE_CACHE_LIMIT = 256;

/** Constructing Intl formatters is costly and labels are rendered for every feed item. */
const formatters = new BoundedCache<Formatters>(LOCALE_CACHE_LIMIT);
/** Requested tag → the locale it resolves to (or null when unsupported), for {@link resolveLocale}. */
const resolved = new BoundedCache<string | null>(LOCALE_CACHE_LIMIT);

function formattersFor(locale: string): Formatters {
  return (
    formatters.get(locale) ??
    formatters.set(locale, {
      // 'always' because 'auto' turns "-1 day" into "yesterday", which breaks the "N ago" wording.
      always: new Intl.RelativeTimeFormat(locale, { numeric: 'always' }),
      // 'auto' only for 0 s, where 'always' would say "0 seconds ago" instead of "now".
      auto: new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }),
    })
  );
}

/** How many entries the per-locale caches hold now (tests check that they stay bounded). */
export function localeCacheSizes(): { formatters: number; resolved: number } {
  return { formatters: formatters.size, resolved: resolved.size };
}

/** English keeps the product's own terse wording ("mins"), which CLDR does not produce. */
function isEnglish(locale: string): boolean {
  return locale.split('-', 1)[0]?.toLowerCase() === 'en';
}

/**
 * How long ago `publishedAt` was, e.g. `21 mins ago` (English) or `21 मिनट पहले` (`hi`).
 *
 * @param publishedAt - A Date, epoch ms, or a string `Date.parse` accepts.
 * @param now - Current epoch ms; passed in so that one render uses one clock reading.
 * @param locale - An already-resolved tag, see {@link resolveLocale}.
 * @throws RangeError if `publishedAt` (or `now`) is not a valid time.
 */
export function formatAgo(
  publishedAt: Date | number | string,
  now: number,
  locale: string,
): string {
  const { unit, amount } = bucket(ageOf(publishedAt, now).age);
  if (isEnglish(locale)) {
    if (unit === 'now') return 'just now';
    const label = unit === 'minute' ? 'min' : unit;
    return `${amount} ${label}${amount === 1 ? '' : 's'} ago`;
  }
  const { always, auto } = formattersFor(locale);
  return unit === 'now' ? auto.format(0, 'second') : always.format(-amount, unit);
}

/**
 * The epoch ms at which `formatAgo(publishedAt, t, locale)` next returns different text, for any
 * locale. Always greater than `now`, so it is safe to schedule a timer on.
 *
 * @throws RangeError if `publishedAt` (or `now`) is not a valid time.
 */
export function nextChangeAt(publishedAt: Date | number | string, now: number): number {
  const { at, age } = ageOf(publishedAt, now);
  return at + bucket(age).until;
}

/**
 * The locale `Intl.RelativeTimeFormat` really uses for `requested` (`'en-gb'` → `'en-GB'`,
 * `'hi-x-1'` → `'hi'`: private-use and unknown extensions dropped), or `fallback` when
 * `requested` is missing, malformed, over 35 characters, or unsupported. Since labels can only
 * differ between resolved locales, the rooms, formatters and payloads keyed by its answer stay
 * as few as the locales Intl knows. Never throws, so raw user input (a query parameter, a
 * cookie) can go straight in. `fallback` is returned unvalidated.
 */
export function resolveLocale(requested: string | undefined, fallback: string): string {
  // typeof also guards untyped JS callers passing arrays, which Intl would otherwise accept.
  if (typeof requested !== 'string' || requested.length > MAX_LOCALE_LENGTH) return fallback;
  let locale = resolved.get(requested);
  if (locale === undefined) locale = resolved.set(requested, resolveUncached(requested));
  return locale ?? fallback;
}

function resolveUncached(requested: string): string | null {
  try {
    const [canonical] = Intl.getCanonicalLocales(requested);
    if (canonical === undefined) return null;
    const [supported] = Intl.RelativeTimeFormat.supportedLocalesOf(canonical);
    if (supported === undefined) return null;
    return new Intl.RelativeTimeFormat(supported).resolvedOptions().locale;
  } catch {
    return null;
  }
}
