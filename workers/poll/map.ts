/**
 * Feed items to articles: the last stage of the poll pipeline, producing the same article object a
 * producer would POST, so that a polled item goes through `normalizeArticle` and its rules
 * like any other. The mapping leaves out what would make a good item fail those rules (an image URL
 * with credentials, a 200-character byline, a language tag like `en_US`) rather than lose the
 * whole item, and it never sets an id: the post id then derives from the canonical URL, so the same
 * story from two feeds, or from a feed and the API, is one post.
 */
import { createHash } from 'node:crypto';
import { ARTICLE_LIMITS, charCount } from '../../shared/domain/article/limits.js';
import { canonicalUrl } from '../../shared/domain/article/post-id.js';
import { cutAtWordBoundary } from '../../shared/domain/article/truncate.js';
import { escapeHtml, htmlToText } from '../../shared/domain/html-text.js';
import { withoutUndefined } from '../../shared/infra/without-undefined.js';
import { readFeedDate, type FeedDate } from './feed-date.js';
import type { FeedItem } from './parse/parsed-feed.js';

/** What {@link itemToArticle} needs to know besides the item. */
export interface MapContext {
  /** The URL the feed was fetched from: the base of any link still relative. */
  feedUrl: string;
  /** The channels the feed's articles go to. */
  channels: string[];
  /** The worker's clock, in epoch milliseconds. */
  now: number;
  /** When this item was first seen in the feed (see {@link itemKey}), in epoch milliseconds. */
  firstSeenAt: number;
  /** The feed's language, for items that do not give their own. */
  lang?: string;
}

/** Why an item gave no article. */
export type SkipReason = 'no_url' | 'no_title';

/**
 * The outcome of {@link mapFeedItem}. `notice`: the item's date was read with a guess (an unknown
 * zone taken as UTC), for the poll's status to say.
 */
export type MapResult =
  | { ok: true; article: Record<string, unknown>; notice?: string }
  | { ok: false; reason: SkipReason };

/** How long a title made from the summary may be, in characters: a headline, not a paragraph. */
const DERIVED_TITLE_MAX = 100;

/**
 * An http(s) URL that normalizeArticle will accept as `url` or `imageUrl`, or undefined. A relative
 * one is resolved against `base` (parseFeedText already resolves links; items built elsewhere may
 * not have).
 */
function usableUrl(text: string | undefined, base?: string): string | undefined {
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text.trim(), base);
  } catch {
    return undefined;
  }
  const fits =
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.hostname !== '' &&
    url.username === '' &&
    url.password === '' &&
    text.trim().length <= ARTICLE_LIMITS.url &&
    url.href.length <= ARTICLE_LIMITS.url &&
    canonicalUrl(url.href).length <= ARTICLE_LIMITS.url;
  return fits ? url.href : undefined;
}

/** A canonical BCP-47 tag for a feed's language value (`en_US` → `en-US`), or undefined. */
function usableLang(text: string | undefined): string | undefined {
  const tag = text?.trim().replaceAll('_', '-');
  if (tag === undefined || tag === '' || tag.length > 256) return undefined;
  try {
    const canonical = Intl.getCanonicalLocales(tag)[0];
    return canonical !== undefined && canonical.length <= ARTICLE_LIMITS.lang
      ? canonical
      : undefined;
  } catch {
    return undefined;
  }
}

/** The title to send: the item's own (HTML as given, or cut when too long), else one made from the text. */
function titleOf(item: FeedItem, bodyText: () => string): string | undefined {
  if (item.title !== undefined) {
    const text = htmlToText(item.title);
    if (text !== '') {
      return charCount(text) <= ARTICLE_LIMITS.title
        ? item.title
        : escapeHtml(cutAtWordBoundary(text, ARTICLE_LIMITS.title));
    }
  }
  const body = bodyText();
  return body === '' ? undefined : escapeHtml(cutAtWordBoundary(body, DERIVED_TITLE_MAX));
}

/** The item's own date, `published` else `updated`; undefined when missing, unreadable or ahead of `now`. */
function itemDate(item: FeedItem, now: number): FeedDate | undefined {
  for (const text of [item.published, item.updated]) {
    const date = text === undefined ? undefined : readFeedDate(text);
    if (date === undefined) continue;
    // A date ahead of the clock would pin the item to the top of the feed: it is not believed.
    return date.time > now ? undefined : date;
  }
  return undefined;
}

/** {@link itemDate}'s instant alone: what ordering items needs. */
function itemTime(item: FeedItem, now: number): number | undefined {
  return itemDate(item, now)?.time;
}

/**
 * The `limit` newest items, newest first (feed order among equals; an undated item counts as
 * new): what one poll takes, so a feed of 50,000 items costs no more than the recent lists hold.
 */
export function newestItems(items: readonly FeedItem[], limit: number, now: number): FeedItem[] {
  if (items.length <= limit) return [...items];
  return items
    .map((item, index) => ({ item, index, time: itemTime(item, now) ?? now }))
    .sort((a, b) => b.time - a.time || a.index - b.index)
    .slice(0, limit)
    .map(({ item }) => item);
}

/**
 * {@link itemToArticle}, with the reason when an item gives no article: `no_url` when neither
 * its link nor a permalink guid is a usable absolute http(s) URL, `no_title` when it has neither a
 * title nor any text to make one from.
 */
export function mapFeedItem(item: FeedItem, ctx: MapContext): MapResult {
  // A guid is only a URL when it is one already: "article-123" must not become a relative link.
  const url =
    usableUrl(item.link, ctx.feedUrl) ??
    (item.guidIsPermaLink === false ? undefined : usableUrl(item.guid));
  if (url === undefined) return { ok: false, reason: 'no_url' };

  const summaryHtml = [item.summaryHtml, item.contentHtml].find(
    (html) => html !== undefined && htmlToText(html) !== '',
  );
  const title = titleOf(item, () => (summaryHtml === undefined ? '' : htmlToText(summaryHtml)));
  if (title === undefined) return { ok: false, reason: 'no_title' };

  const author = item.author === undefined ? '' : htmlToText(item.author);
  const date = itemDate(item, ctx.now);
  const article: Record<string, unknown> = {
    url,
    title,
    summary: summaryHtml,
    channels: [...ctx.channels],
    // Bylines longer than the limit are lists of names or boilerplate; the article is worth more
    // than a rejected byline.
    author: author !== '' && charCount(author) <= ARTICLE_LIMITS.author ? item.author : undefined,
    publishedAt: new Date(date?.time ?? ctx.firstSeenAt).toISOString(),
    imageUrl: usableUrl(item.imageUrl, ctx.feedUrl),
    lang: usableLang(item.lang) ?? usableLang(ctx.lang),
  };
  const mapped = { ok: true, article: withoutUndefined(article) } as const;
  return date?.notice === undefined ? mapped : { ...mapped, notice: date.notice };
}

/**
 * The article for a feed item, as an object for `normalizeArticle`, or `null` when the item
 * cannot be one (no usable URL, no title and no text to make one from).
 *
 * - `url`: the item's link, else its guid when that is a permalink absolute http(s) URL.
 * - No `id`: the post id derives from the canonical URL, so one story is one post whichever feed
 *   (or the API) brings it.
 * - `title`: the item's title (cut at a word when longer than the limit), else the first words of
 *   its summary or content.
 * - `summary`: the summary, else the content, as HTML (normalizeArticle strips and cuts it).
 * - `publishedAt`: `published`, else `updated`, read by `parseFeedDate`; `ctx.firstSeenAt` when
 *   neither is readable or the date is ahead of `ctx.now`. ISO-8601 UTC. (An unknown zone is read
 *   as UTC; {@link mapFeedItem} says so in its `notice`.)
 * - `author`, `imageUrl`, `lang` (the item's, else `ctx.lang`) when usable; dropped otherwise.
 * - `channels`: `ctx.channels`.
 */
export function itemToArticle(item: FeedItem, ctx: MapContext): Record<string, unknown> | null {
  const result = mapFeedItem(item, ctx);
  return result.ok ? result.article : null;
}

/**
 * A stable key for an item, for first-seen bookkeeping across polls: its guid, else its link,
 * else `sha256:` and the SHA-256 (hex) of its title and content.
 */
export function itemKey(item: FeedItem): string {
  if (item.guid !== undefined && item.guid !== '') return item.guid;
  if (item.link !== undefined && item.link !== '') return item.link;
  const body = item.contentHtml ?? item.summaryHtml ?? '';
  const digest = createHash('sha256')
    .update(`${item.title ?? ''}\u0000${body}`, 'utf8')
    .digest('hex');
  return `sha256:${digest}`;
}
