import type { Post } from '../../../shared/contract/protocol.js';

/** The URL when it is http(s), else null (a `javascript:` or `data:` link renders as text). */
export function safeHref(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/**
 * The post's title as a link that opens in a new tab, without handing the page to the
 * target (`noopener noreferrer`), or as plain text when its URL is not http(s). The title
 * goes in as text only.
 */
export function titleLink(post: Post): HTMLElement {
  const href = safeHref(post.url);
  const node = document.createElement(href ? 'a' : 'span');
  if (href && node instanceof HTMLAnchorElement) {
    node.href = href;
    node.target = '_blank';
    node.rel = 'noopener noreferrer';
  }
  node.dir = 'auto';
  node.textContent = post.title;
  return node;
}
