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
  url: string;
  title: string;
  summary?: string;
  /** ISO-8601, the `<time datetime>`. */
  publishedAt: string;
  ago: string;
}

export interface FragmentInput {
  channel: string;
  /** The resolved locale: picks the list's accessible name and becomes its `lang`. */
  locale: string;
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

function item(post: FragmentPost): string {
  const href = safeHref(post.url);
  const title = escapeHtml(post.title);
  // A post whose URL is not http(s) keeps its headline as text: the reader still sees the news.
  const headline = href === undefined ? title : `<a href="${escapeHtml(href)}">${title}</a>`;
  const summary =
    post.summary === undefined || post.summary === '' ? '' : `<p>${escapeHtml(post.summary)}</p>`;
  const time = `<time datetime="${escapeHtml(post.publishedAt)}">${escapeHtml(post.ago)}</time>`;
  return `<li>${headline}${summary}${time}</li>`;
}

/** The fragment: one `<ol>` (newest first), one `<li>` per post, one line per item. */
export function renderEmbedFragment({ channel, locale, posts }: FragmentInput): string {
  const name = `${listName(locale)}: ${channel}`;
  const items = posts.map((post) => `${item(post)}\n`).join('');
  return (
    `<ol class="khabar-embed" lang="${escapeHtml(locale)}" aria-label="${escapeHtml(name)}">\n` +
    `${items}</ol>\n`
  );
}
