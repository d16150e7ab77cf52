/**
 * The HTML fragment of `GET /embed/:channel`: a channel's recent posts as a plain list of links,
 * for pages that include it on the server or at build time instead of running the widget. Pure:
 * posts and their labels in, a string out, so it is tested without a server.
 *
 * The fragment lands inside someone else's page, so it carries no script, no event handler and
 * no style attribute, every text and attribute is escaped, and a link is only emitted for an
 * http(s) URL (ingest already requires one; this is the last line should a stored value not be).
 */

import { parseHttpUrl } from '../../shared/domain/article/fields.js';
import { escapeHtml } from '../../shared/domain/html-text.js';

/** One post as the fragment shows it: `ago` is its relative label in the requested locale. */
export interface FragmentPost {
  id: string;
  url: string;
  title: string;
  summary?: string;
  /** The post's language, when it has one: the item's `lang`. */
  lang?: string;
  /** ISO-8601, the `<time datetime>`. */
  publishedAt: string;
  ago: string;
}

export interface FragmentInput {
  channel: string;
  /** The resolved locale: picks the list's accessible name and becomes its `lang`. */
  locale: string;
  /** Where in the channel's history the list was read (`<epoch>-<seq>`). */
  cursor: string;
  /** The `limit` the list was read with (it may hold fewer posts). */
  limit: number;
  posts: readonly FragmentPost[];
}

/** The list's accessible name, the same words as the widget's (server/web/widget/i18n.ts). */
function listName(locale: string): string {
  return locale.split('-', 1)[0]?.toLowerCase() === 'hi' ? 'हाल की पोस्ट' : 'Recent posts';
}

/** The URL as an href when it is absolute http(s), else undefined (`javascript:`, `data:`…). */
export function safeHref(url: string): string | undefined {
  return parseHttpUrl(url)?.href;
}

/** A BCP 47-looking tag (as the widget's render.ts accepts): anything else is left out. */
const LANG = /^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$/i;

function item(post: FragmentPost): string {
  const href = safeHref(post.url);
  const title = escapeHtml(post.title);
  // A post whose URL is not http(s) keeps its headline as text: the reader still sees the news.
  const headline = href === undefined ? title : `<a href="${escapeHtml(href)}">${title}</a>`;
  const summary =
    post.summary === undefined || post.summary === '' ? '' : `<p>${escapeHtml(post.summary)}</p>`;
  const time = `<time datetime="${escapeHtml(post.publishedAt)}">${escapeHtml(post.ago)}</time>`;
  const lang = post.lang !== undefined && LANG.test(post.lang) ? ` lang="${post.lang}"` : '';
  return `<li data-id="${escapeHtml(post.id)}"${lang}>${headline}${summary}${time}</li>`;
}

/**
 * The fragment: one `<ol>` (newest first), one `<li>` per post, one line per item. The `data-`
 * attributes are for the widget taking the list over (server/web/widget/adopt.ts): each post's
 * id, so no post shows twice, and the cursor, so it resumes from this list instead of loading
 * it again.
 */
export function renderEmbedFragment(input: FragmentInput): string {
  const { channel, locale, cursor, limit, posts } = input;
  const name = `${listName(locale)}: ${channel}`;
  const items = posts.map((post) => `${item(post)}\n`).join('');
  const attributes = [
    `class="khabar-embed"`,
    `lang="${escapeHtml(locale)}"`,
    `aria-label="${escapeHtml(name)}"`,
    `data-channel="${escapeHtml(channel)}"`,
    `data-cursor="${escapeHtml(cursor)}"`,
    `data-limit="${limit}"`,
  ];
  return `<ol ${attributes.join(' ')}>\n${items}</ol>\n`;
}
