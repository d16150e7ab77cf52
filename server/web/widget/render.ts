import type { Post } from '../../../shared/contract/protocol.js';
import { titleLink } from '../common/post-link.js';

/**
 * Builds and updates one `<article>` per post. Every piece of post data goes in through
 * `textContent` or a validated attribute, never as markup.
 */

export interface PostView {
  readonly article: HTMLElement;
  readonly time: HTMLTimeElement;
  /** Epoch ms of `publishedAt`. */
  at: number;
  post: Post;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

function absoluteDate(at: number, locale: string): string {
  let format = dateFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
    dateFormats.set(locale, format);
  }
  return format.format(at);
}

/** A BCP 47-looking tag, for the `lang` attribute (garbage is left out, not echoed). */
const LANG = /^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$/i;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, part: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = part;
  node.setAttribute('part', part);
  return node;
}

let ids = 0;

export function createPostView(post: Post, locale: string): PostView {
  const article = el('article', 'item');
  article.tabIndex = -1;
  const time = el('time', 'time');
  const view: PostView = { article, time, at: 0, post };
  fillPostView(view, post, locale);
  return view;
}

/** Whether two versions of a post render the same. */
export function samePost(a: Post, b: Post): boolean {
  return (
    a.url === b.url &&
    a.title === b.title &&
    a.summary === b.summary &&
    a.publishedAt === b.publishedAt &&
    a.lang === b.lang
  );
}

/** (Re)builds the article's content for `post`; the time label is set by the clock. */
export function fillPostView(view: PostView, post: Post, locale: string): void {
  const { article, time } = view;
  view.post = post;
  view.at = Date.parse(post.publishedAt);

  const titleId = `khabar-t${++ids}`;
  const title = el('div', 'title');
  title.id = titleId;
  const text = titleLink(post);
  text.className = 'link';
  title.append(text);

  const children: Node[] = [title];
  const summary = post.summary?.trim();
  if (summary) {
    const excerpt = el('p', 'excerpt');
    excerpt.dir = 'auto';
    excerpt.textContent = summary;
    children.push(excerpt);
  }
  time.dateTime = new Date(view.at).toISOString();
  time.title = absoluteDate(view.at, locale);
  children.push(time);
  article.replaceChildren(...children);
  article.setAttribute('aria-labelledby', titleId);
  if (post.lang && LANG.test(post.lang)) article.lang = post.lang;
  else article.removeAttribute('lang');
}
