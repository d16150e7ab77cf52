/**
 * Articles in (SPEC §4): validation and normalisation of what producers send, the stable post id,
 * batches, and the stored post shape. Runs in Node only (`node:crypto`).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CHANNEL_PATTERN, DEFAULT_CHANNEL } from '../contract/channel.js';
import { appError, type ErrorDetail } from '../infra/errors.js';
import { htmlToText } from './html-text.js';
import type { StoredPost } from '../contract/protocol.js';

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

/** The outcome of {@link normalizeArticle} and {@link validateNormalizedArticle}. */
export type ArticleResult =
  { ok: true; article: NormalizedArticle } | { ok: false; details: ErrorDetail[] };

/** The limits of SPEC §4, in characters (Unicode code points) unless named otherwise. */
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

/** A post id: `p` and 22 base64url characters (132 bits of a SHA-256). */
export const POST_ID_PATTERN = /^p[A-Za-z0-9_-]{22}$/;

const EXAMPLES = {
  url: 'https://example.com/news/1',
  imageUrl: 'https://example.com/images/1.jpg',
  title: '"Monsoon reaches Kerala three days early"',
  summary: '"Heavy rain is expected across the state until Friday."',
  author: '"Priya Sharma"',
  id: '"guid-2024-0619-17"',
  channel: '"bihar"',
  channels: '["top", "bihar"]',
  publishedAt: '"2024-06-19T10:00:00+05:30"',
  lang: '"hi" or "en-IN"',
} as const;

/* ---------------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------------- */

type Report = (path: string, message: string) => void;

const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

/** Length in Unicode code points, so that an emoji counts as one character, not two. */
function charCount(text: string): number {
  return text.length - (text.match(SURROGATE_PAIR)?.length ?? 0);
}

function isAbsent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "a number", "an array", "null", … for "(got …)" in messages. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

/** A copy without the keys whose value is `undefined`. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/* ---------------------------------------------------------------------------------------------
 * URLs
 * ------------------------------------------------------------------------------------------- */

/** An absolute http(s) URL with a host, or undefined. */
function parseHttpUrl(text: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const http = url.protocol === 'http:' || url.protocol === 'https:';
  return http && url.hostname !== '' ? url : undefined;
}

function hasCredentials(url: URL): boolean {
  return url.username !== '' || url.password !== '';
}

/** Whether one `name=value` piece of a query string is a `utm_*` parameter (any case). */
function isUtmParameter(piece: string): boolean {
  const rawName = (piece.split('=', 1)[0] ?? '').replaceAll('+', ' ');
  let name = rawName;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    // A malformed %-escape: judge the name as written.
  }
  return name.toLowerCase().startsWith('utm_');
}

/**
 * The canonical form of an article URL, from which the post id is derived when the producer
 * gives no id: trimmed and NFC, scheme and host lower-cased (and the rest normalised as the
 * WHATWG URL parser does: default port dropped, IDN hosts in punycode, non-ASCII percent-encoded),
 * no fragment, no `utm_*` query parameters (names compared case-insensitively, after decoding).
 * Other parameters are kept in order and exactly as written; empty `&&` pieces are dropped; the
 * `?` goes when nothing remains. Idempotent.
 *
 * @throws TypeError when `url` is not an absolute URL.
 * @example canonicalUrl('HTTPS://Example.COM/a?utm_source=x&b=1#frag') // 'https://example.com/a?b=1'
 */
export function canonicalUrl(url: string): string {
  const parsed = new URL(url.trim().normalize('NFC'));
  parsed.hash = '';
  const kept = parsed.search
    .slice(1)
    .split('&')
    .filter((piece) => piece !== '' && !isUtmParameter(piece));
  parsed.search = kept.length > 0 ? `?${kept.join('&')}` : '';
  return parsed.href;
}

/**
 * The post id of an article: `p` + the first 22 base64url characters of the SHA-256 of
 * `"id\0" + producerId` when the producer gave an id, else of `"url\0" + canonical`. So the same
 * producer id always gives the same post (whatever the URL), and without one the same canonical URL
 * does. Matches {@link POST_ID_PATTERN}.
 *
 * @param producerId The producer's id, already trimmed (as in {@link NormalizedArticle}).
 * @param canonical The article URL, already canonical ({@link canonicalUrl}).
 */
export function postIdFor(producerId: string | undefined, canonical: string): string {
  const key = producerId === undefined ? `url\u0000${canonical}` : `id\u0000${producerId}`;
  return `p${sha256(key).toString('base64url').slice(0, 22)}`;
}

/* ---------------------------------------------------------------------------------------------
 * Field readers for normalizeArticle: each reports its own problems and returns the value, or
 * undefined when the field is absent or invalid.
 * ------------------------------------------------------------------------------------------- */

/** Reads an absolute http(s) URL without credentials, at most 2048 characters as given. */
function readHttpUrl(
  value: unknown,
  path: string,
  example: string,
  report: Report,
): URL | undefined {
  if (typeof value !== 'string') {
    report(
      path,
      `${path} must be a string holding an absolute http: or https: URL, such as ${example} (got ${kindOf(value)}).`,
    );
    return undefined;
  }
  const text = value.trim().normalize('NFC');
  if (text.length > ARTICLE_LIMITS.url) {
    report(
      path,
      `${path} must be at most ${ARTICLE_LIMITS.url} characters (got ${text.length}); link to a shorter URL, such as ${example}.`,
    );
    return undefined;
  }
  const url = parseHttpUrl(text);
  if (url === undefined) {
    report(path, `${path} must be an absolute http: or https: URL, such as ${example}.`);
    return undefined;
  }
  if (hasCredentials(url)) {
    report(
      path,
      `${path} must not contain a user name or password (user:pass@); give the public address, such as ${example}.`,
    );
    return undefined;
  }
  return url;
}

/** Reports when a URL grows past the limit once percent-encoded (non-ASCII paths do). */
function fitsUrlLimit(serialized: string, path: string, example: string, report: Report): boolean {
  if (serialized.length <= ARTICLE_LIMITS.url) return true;
  report(
    path,
    `${path} must be at most ${ARTICLE_LIMITS.url} characters once non-ASCII characters are percent-encoded (it becomes ${serialized.length}); link to a shorter URL, such as ${example}.`,
  );
  return false;
}

function readArticleUrl(value: unknown, report: Report): string | undefined {
  if (isAbsent(value)) {
    report(
      'url',
      `url is required: the article's absolute http: or https: URL, such as ${EXAMPLES.url}.`,
    );
    return undefined;
  }
  const url = readHttpUrl(value, 'url', EXAMPLES.url, report);
  if (url === undefined) return undefined;
  const canonical = canonicalUrl(url.href);
  return fitsUrlLimit(canonical, 'url', EXAMPLES.url, report) ? canonical : undefined;
}

function readImageUrl(value: unknown, report: Report): string | undefined {
  if (isAbsent(value)) return undefined;
  const url = readHttpUrl(value, 'imageUrl', EXAMPLES.imageUrl, report);
  if (url === undefined) return undefined;
  return fitsUrlLimit(url.href, 'imageUrl', EXAMPLES.imageUrl, report) ? url.href : undefined;
}

/** Reads a string field as HTML and returns its text ('' when only markup or whitespace). */
function readHtmlText(
  value: unknown,
  path: string,
  example: string,
  report: Report,
): string | undefined {
  if (typeof value === 'string') return htmlToText(value);
  report(path, `${path} must be a string, such as ${example} (got ${kindOf(value)}).`);
  return undefined;
}

function readTitle(value: unknown, report: Report): string | undefined {
  if (isAbsent(value)) {
    report('title', `title is required: the headline as text, such as ${EXAMPLES.title}.`);
    return undefined;
  }
  const title = readHtmlText(value, 'title', EXAMPLES.title, report);
  if (title === undefined) return undefined;
  const length = charCount(title);
  if (length === 0) {
    report(
      'title',
      `title must contain text once HTML tags are removed (it has only markup or whitespace); send the headline, such as ${EXAMPLES.title}.`,
    );
    return undefined;
  }
  if (length > ARTICLE_LIMITS.title) {
    report(
      'title',
      `title must be at most ${ARTICLE_LIMITS.title} characters once HTML tags are removed (got ${length}); shorten the headline, such as ${EXAMPLES.title}.`,
    );
    return undefined;
  }
  return title;
}

function readAuthor(value: unknown, report: Report): string | undefined {
  if (isAbsent(value)) return undefined;
  const author = readHtmlText(value, 'author', EXAMPLES.author, report);
  if (author === undefined || author === '') return undefined;
  const length = charCount(author);
  if (length > ARTICLE_LIMITS.author) {
    report(
      'author',
      `author must be at most ${ARTICLE_LIMITS.author} characters once HTML tags are removed (got ${length}); send the byline only, such as ${EXAMPLES.author}.`,
    );
    return undefined;
  }
  return author;
}

function readSummary(value: unknown, report: Report): string | undefined {
  if (isAbsent(value)) return undefined;
  const summary = readHtmlText(value, 'summary', EXAMPLES.summary, report);
  return summary ? cutAtWord(summary, ARTICLE_LIMITS.summary) : undefined;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The longest prefix of whole grapheme clusters with at most `max` code points. Only the
 * cluster at the cut is looked at (`containing`): segmenting the whole text instead costs
 * about a millisecond for a 500-character summary, most of an article's ingest time.
 */
function headOf(text: string, max: number): string {
  let cut = 0;
  for (let points = 0; points < max && cut < text.length; points++) {
    const unit = text.charCodeAt(cut);
    const next = text.charCodeAt(cut + 1); // NaN past the end
    cut += unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
  }
  if (cut >= text.length) return text;
  const straddling = graphemes.segment(text).containing(cut);
  return text.slice(0, straddling ? straddling.index : cut);
}

/** Spaces and punctuation that should not come right before the "…". */
const DANGLING_END = /[\s.,;:\u2013\u2014\u2026-]+$/u;

/**
 * `text` if it has at most `max` characters, else its start cut at the last space and ended with
 * "…", `max` characters at most in all. When the last space would lose more than half (one huge
 * word, or a script written without spaces), the cut is made between two characters instead
 * (never inside a grapheme cluster, so no conjunct or combining mark is split).
 */
function cutAtWord(text: string, max: number): string {
  if (charCount(text) <= max) return text;
  const head = headOf(text, max - 1);
  const space = text[head.length] === ' ' ? head.length : head.lastIndexOf(' ');
  const atWord = space >= head.length / 2 ? head.slice(0, space) : head;
  const tidy = atWord.replace(DANGLING_END, '');
  return `${tidy === '' ? head : tidy}…`;
}

function readProducerId(value: unknown, report: Report): string | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return String(value);
    report(
      'id',
      `id must be a whole number below 2^53 or a string; send large or fractional ids as strings, such as ${EXAMPLES.id}.`,
    );
    return undefined;
  }
  if (typeof value !== 'string') {
    report(
      'id',
      `id must be a string or a whole number, such as ${EXAMPLES.id} or 48213 (got ${kindOf(value)}).`,
    );
    return undefined;
  }
  const id = value.trim().normalize('NFC');
  const length = charCount(id);
  if (length === 0) {
    report(
      'id',
      `id must not be empty: send the producer's stable id, such as ${EXAMPLES.id}, or leave id out.`,
    );
    return undefined;
  }
  if (length > ARTICLE_LIMITS.producerId) {
    report(
      'id',
      `id must be at most ${ARTICLE_LIMITS.producerId} characters (got ${length}); send a shorter stable id, such as ${EXAMPLES.id}.`,
    );
    return undefined;
  }
  return id;
}

/** A valid slug close to `text` ("Bihar News" → "bihar-news"), if there is one. */
function suggestSlug(text: string): string | undefined {
  const slug = text
    .slice(0, 200)
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40)
    .replace(/-$/, '');
  return CHANNEL_PATTERN.test(slug) ? slug : undefined;
}

function readSlug(value: unknown, path: string, report: Report): string | undefined {
  if (typeof value !== 'string') {
    report(
      path,
      `${path} must be a string channel slug, such as ${EXAMPLES.channel} (got ${kindOf(value)}).`,
    );
    return undefined;
  }
  if (CHANNEL_PATTERN.test(value)) return value;
  const suggestion = suggestSlug(value);
  const hint = suggestion === undefined ? '' : `; did you mean "${suggestion}"?`;
  report(
    path,
    `${path} must be a channel slug: 1 to 40 lower-case letters a-z, digits and hyphens, starting with a letter or digit, such as ${EXAMPLES.channel}${hint || '.'}`,
  );
  return undefined;
}

/** Reads `channels`: the valid slugs in it, and whether it was all valid (absent counts as valid). */
function readChannelList(value: unknown, report: Report): { slugs: string[]; valid: boolean } {
  if (isAbsent(value)) return { slugs: [], valid: true };
  if (!Array.isArray(value)) {
    const slug = typeof value === 'string' ? (suggestSlug(value) ?? 'bihar') : undefined;
    const single = slug === undefined ? '' : `; for one channel, send "channels": ["${slug}"]`;
    report(
      'channels',
      `channels must be an array of 1 to ${ARTICLE_LIMITS.channels} channel slugs, such as ${EXAMPLES.channels} (got ${kindOf(value)}${single}).`,
    );
    return { slugs: [], valid: false };
  }
  const items: unknown[] = value;
  if (items.length === 0) {
    report(
      'channels',
      `channels must list at least one channel, such as ${EXAMPLES.channels}, or be left out to post to "top".`,
    );
    return { slugs: [], valid: false };
  }
  const slugs = items.map((item, index) => readSlug(item, `channels[${index}]`, report));
  const good = slugs.filter((slug) => slug !== undefined);
  return { slugs: good, valid: good.length === slugs.length };
}

/**
 * Reads `channel` and `channels` together: `channel` first, then `channels`, duplicates dropped,
 * at most 10 in all; `["top"]` when neither is given.
 */
function readChannels(channel: unknown, channels: unknown, report: Report): string[] | undefined {
  const single = isAbsent(channel) ? undefined : readSlug(channel, 'channel', report);
  const singleValid = isAbsent(channel) || single !== undefined;
  const list = readChannelList(channels, report);
  const unique = [...new Set(single === undefined ? list.slugs : [single, ...list.slugs])];
  if (unique.length > ARTICLE_LIMITS.channels) {
    report(
      'channels',
      `channels must list at most ${ARTICLE_LIMITS.channels} different channels (got ${unique.length}); keep the most relevant ones, such as ${EXAMPLES.channels}.`,
    );
    return undefined;
  }
  if (!singleValid || !list.valid) return undefined;
  return unique.length > 0 ? unique : [DEFAULT_CHANNEL];
}

/** `YYYY-MM-DDThh:mm[:ss[.fraction]]` and `Z` or `±hh:mm` (RFC 3339, seconds optional). */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Days in a month (1–12) of a proleptic Gregorian year. */
function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one; 2001 is not a leap year.
  return new Date(Date.UTC(2001, month, 0)).getUTCDate() + (month === 2 && isLeap(year) ? 1 : 0);
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Epoch milliseconds of an RFC 3339 date-time (fractions beyond milliseconds truncated), or why
 * not: `'format'` when it does not have that form, `'range'` when it is not a real date and time.
 */
function parseDateTime(text: string): number | 'format' | 'range' {
  const match = DATE_TIME.exec(text);
  if (match === null) return 'format';
  const group = (index: number): number => Number(match[index] ?? '0');
  const [year, month, day] = [group(1), group(2), group(3)];
  const [hour, minute, second] = [group(4), group(5), group(6)];
  const [offsetHours, offsetMinutes] = [group(10), group(11)];
  const inRange =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 23 &&
    offsetMinutes <= 59;
  if (!inRange) return 'range';
  const millis = Number((match[7] ?? '.0').slice(1, 4).padEnd(3, '0'));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const offset = (match[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return date.getTime() - offset;
}

/** A hint for the two usual mistakes: a date alone, and a time without an offset. */
function dateTimeHint(text: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text))
    return ' (a date alone is not enough: add the time and offset)';
  if (/^\d{4}-\d{2}-\d{2}[Tt ][\d:.]+$/.test(text))
    return ' (add the offset, Z or ±hh:mm: without it the time is ambiguous)';
  return '';
}

function readPublishedAt(value: unknown, now: number, report: Report): string | undefined {
  if (isAbsent(value)) return undefined;
  const rule = `publishedAt must be an ISO-8601 date-time with a time and a Z or ±hh:mm offset, such as ${EXAMPLES.publishedAt}`;
  if (typeof value !== 'string') {
    report('publishedAt', `${rule} (got ${kindOf(value)}).`);
    return undefined;
  }
  const text = value.trim();
  const time = parseDateTime(text);
  if (time === 'format') {
    report('publishedAt', `${rule}${dateTimeHint(text)}.`);
    return undefined;
  }
  if (time === 'range') {
    report(
      'publishedAt',
      `publishedAt must be a real date and time (month 01–12, a day that exists in that month, hour 00–23, minute and second 00–59), such as ${EXAMPLES.publishedAt}.`,
    );
    return undefined;
  }
  return checkPublishedTime(time, now, report);
}

function checkPublishedTime(time: number, now: number, report: Report): string | undefined {
  const ahead = time - now;
  if (ahead > ARTICLE_LIMITS.futureMs) {
    report(
      'publishedAt',
      `publishedAt must not be more than 5 minutes in the future (it is ${Math.ceil(ahead / 60_000)} minutes ahead of the server's clock); send the time the article was published, with its offset, such as ${EXAMPLES.publishedAt}.`,
    );
    return undefined;
  }
  const iso = new Date(time).toISOString();
  if (!/^\d{4}-/.test(iso)) {
    report(
      'publishedAt',
      `publishedAt must fall between the years 0000 and 9999 in UTC, such as ${EXAMPLES.publishedAt}.`,
    );
    return undefined;
  }
  return iso;
}

/** The canonical form of a BCP-47 tag, or undefined if it is not one. */
function canonicalLanguageTag(tag: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}

function readLang(value: unknown, report: Report): string | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value !== 'string') {
    report(
      'lang',
      `lang must be a string holding a BCP-47 language tag, such as ${EXAMPLES.lang} (got ${kindOf(value)}).`,
    );
    return undefined;
  }
  const tag = value.trim();
  const canonical = tag.length > 256 ? undefined : canonicalLanguageTag(tag);
  if (canonical === undefined) {
    const hint = tag.includes('_') ? ' (use "-", not "_", between the parts)' : '';
    report('lang', `lang must be a BCP-47 language tag, such as ${EXAMPLES.lang}${hint}.`);
    return undefined;
  }
  if (canonical.length > ARTICLE_LIMITS.lang) {
    report(
      'lang',
      `lang must be at most ${ARTICLE_LIMITS.lang} characters (got ${canonical.length}); send the language and region only, such as ${EXAMPLES.lang}.`,
    );
    return undefined;
  }
  return canonical;
}

/* ---------------------------------------------------------------------------------------------
 * The article
 * ------------------------------------------------------------------------------------------- */

const NOT_AN_OBJECT = `The article must be a JSON object, such as {"url": "${EXAMPLES.url}", "title": "Monsoon reaches Kerala"}.`;

/**
 * Validates and normalises one article as a producer sent it (SPEC §4).
 *
 * Every problem is reported at once, each as `{ path, message }` with the field name as the path
 * (`title`, `channels[2]`; `''` when the article is not an object) and a sentence naming the rule
 * with an example of a good value. Unknown fields are ignored; `null` counts as absent for the
 * optional fields.
 *
 * Text fields are read as HTML ({@link htmlToText}) and NFC-normalised; `title` must then have
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

/* ---------------------------------------------------------------------------------------------
 * The worker's check of a normalized article
 * ------------------------------------------------------------------------------------------- */

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

/* ---------------------------------------------------------------------------------------------
 * Batches and stored posts
 * ------------------------------------------------------------------------------------------- */

/**
 * The articles of a request body: the body itself when it is one article object, or the items of
 * `articles` when the body is an object with that key (1–100 items; the items are not checked
 * here, see {@link normalizeArticle}).
 *
 * @throws AppError 400 `invalid_body` when the body is not an object (a bare array included: wrap
 *   it as `{"articles": [...]}`), `articles` is not an array, or it is empty.
 * @throws AppError 400 `too_many_articles` when `articles` has more than 100 items.
 */
export function splitBatch(body: unknown): unknown[] {
  const max = ARTICLE_LIMITS.batch;
  if (Array.isArray(body)) throw appError('invalid_body', { problem: 'bare_array', max });
  if (!isObject(body))
    throw appError('invalid_body', { problem: 'not_an_object', got: kindOf(body), max });
  if (!Object.hasOwn(body, 'articles')) return [body];
  const articles = body.articles;
  if (!Array.isArray(articles)) {
    const got = kindOf(articles);
    throw appError('invalid_body', { problem: 'articles_not_array', got, max, path: 'articles' });
  }
  const items: unknown[] = articles;
  if (items.length === 0) {
    throw appError('invalid_body', { problem: 'articles_empty', path: 'articles' });
  }
  if (items.length > max) {
    throw appError('too_many_articles', { max, got: items.length, path: 'articles' });
  }
  return items;
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
  return sha256(serialized).toString('hex').slice(0, 32);
}
