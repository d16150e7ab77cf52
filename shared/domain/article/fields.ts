/**
 * The field readers of normalizeArticle: each reads one field of an article as a producer sent
 * it, reports its own problems (a sentence naming the rule, with an example of a good value), and
 * returns the normalised value, or undefined when the field is absent or invalid.
 */
import { BoundedCache } from '../../contract/bounded-cache.js';
import { CHANNEL_PATTERN, DEFAULT_CHANNEL } from '../../contract/channel.js';
import { LOCALE_CACHE_LIMIT } from '../../contract/relative-time.js';
import { htmlToText } from '../html-text.js';
import { dateTimeHint, parseDateTime } from './dates.js';
import { ARTICLE_LIMITS, charCount } from './limits.js';
import { canonicalUrl } from './post-id.js';
import { cutAtSpace } from './truncate.js';

/** Records one problem: the path of the field (`title`, `channels[2]`) and a sentence. */
export type Report = (path: string, message: string) => void;

/** Good values, quoted as they would be written in JSON, for the messages. */
export const EXAMPLES = {
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

/** `null` counts as absent: JSON producers send it for an optional field they have no value for. */
function isAbsent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

/** Whether a JSON value is an object (not `null`, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "a number", "an array", "null", … for the "(got …)" of a message. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

/** An absolute http(s) URL with a host, or undefined. */
export function parseHttpUrl(text: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const http = url.protocol === 'http:' || url.protocol === 'https:';
  return http && url.hostname !== '' ? url : undefined;
}

/** Whether a URL carries a user name or password (`user:pass@`), which a public link never needs. */
export function hasCredentials(url: URL): boolean {
  return url.username !== '' || url.password !== '';
}

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

/** Reads `url` (required): canonical ({@link canonicalUrl}) and within the limit once encoded. */
export function readArticleUrl(value: unknown, report: Report): string | undefined {
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

/** Reads `imageUrl` (optional): an absolute http(s) URL, kept as the URL parser writes it. */
export function readImageUrl(value: unknown, report: Report): string | undefined {
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

/** Reads `title` (required): its text once HTML is removed, 1–300 characters. */
export function readTitle(value: unknown, report: Report): string | undefined {
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

/** Reads `author` (optional): its text, at most 120 characters; empty text counts as absent. */
export function readAuthor(value: unknown, report: Report): string | undefined {
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

/** Reads `summary` (optional): its text, cut at a word to 500 characters; empty counts as absent. */
export function readSummary(value: unknown, report: Report): string | undefined {
  if (isAbsent(value)) return undefined;
  const summary = readHtmlText(value, 'summary', EXAMPLES.summary, report);
  return summary ? cutAtSpace(summary, ARTICLE_LIMITS.summary) : undefined;
}

/** Reads `id` (optional): the producer's own id, a string or a safe whole number, trimmed. */
export function readProducerId(value: unknown, report: Report): string | undefined {
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
export function readChannels(
  channel: unknown,
  channels: unknown,
  report: Report,
): string[] | undefined {
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

/** Reads `publishedAt` (optional): an RFC 3339 date-time at most 5 minutes ahead of `now`, as ISO-8601 UTC. */
export function readPublishedAt(value: unknown, now: number, report: Report): string | undefined {
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

/**
 * Tags already canonicalised (ICU's answer costs microseconds, and every article has one). A
 * newsroom uses a handful; tags longer than a tag may be are never kept.
 */
const canonicalTags = new BoundedCache<string | undefined>(LOCALE_CACHE_LIMIT);

/** The canonical form of a BCP-47 tag, or undefined if it is not one. */
export function canonicalLanguageTag(tag: string): string | undefined {
  if (canonicalTags.has(tag)) return canonicalTags.get(tag);
  let canonical: string | undefined;
  try {
    canonical = Intl.getCanonicalLocales(tag)[0];
  } catch {
    canonical = undefined;
  }
  return tag.length > ARTICLE_LIMITS.lang ? canonical : canonicalTags.set(tag, canonical);
}

/** Reads `lang` (optional): a BCP-47 tag, in canonical form. */
export function readLang(value: unknown, report: Report): string | undefined {
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
