import { parseCursor } from '../../../shared/contract/cursor.js';
import type { Post } from '../../../shared/contract/protocol.js';
import { isPost, type StoredFeed } from './storage.js';

/**
 * Taking over server-rendered markup: a page may hold the `GET /embed/:channel` fragment inside
 * `<khabar-feed>` (for crawlers and readers without JavaScript). The widget reads that list back
 * into posts and a cursor, renders the same posts at once (no "loading" in between, and, keyed
 * by id, no post twice once the live answer comes) and resumes from the fragment's cursor.
 *
 * The fragment stays in the element's light DOM, where crawlers read it; the shadow root, which
 * has no slot, keeps it off the screen and out of the accessibility tree.
 */

/** The fragment's list for `channel` inside `host`, as a stored feed; undefined when absent. */
export function readFragment(host: Element, channel: string): StoredFeed | undefined {
  const list = Array.from(host.querySelectorAll('ol.khabar-embed')).find(
    (node) => node instanceof HTMLElement && node.dataset.channel === channel,
  );
  if (!(list instanceof HTMLElement)) return undefined;
  const cursor = list.dataset.cursor;
  const limit = Number(list.dataset.limit);
  if (!parseCursor(cursor) || cursor === undefined || !Number.isInteger(limit)) return undefined;
  const posts: Post[] = [];
  for (const item of Array.from(list.children)) {
    const post = postOf(item, channel);
    // A list the page changed by hand is not the one the cursor stands for: load a fresh one.
    if (!post) return undefined;
    posts.push(post);
  }
  return { cursor, limit, posts };
}

/** One `<li>` back into a post: the fields the fragment carries, in the shape the list takes. */
function postOf(item: Element, channel: string): Post | undefined {
  if (!(item instanceof HTMLLIElement)) return undefined;
  const id = item.dataset.id;
  const time = item.querySelector('time');
  const link = item.querySelector('a');
  const summary = item.querySelector('p')?.textContent ?? undefined;
  // The headline is the link's text, or the item's own first text when its URL was not http(s).
  const title = (link ?? item.firstChild)?.textContent ?? '';
  const post = {
    id,
    url: link?.getAttribute('href') ?? '',
    title,
    ...(summary === undefined ? {} : { summary }),
    ...(item.lang ? { lang: item.lang } : {}),
    channels: [channel],
    publishedAt: time?.dateTime ?? '',
    ago: time?.textContent ?? '',
  };
  return isPost(post) ? post : undefined;
}
