import type { Post, ReplayedEvent } from './protocol.js';

/**
 * A channel's recent posts, newest first, and how one event changes them: the one rule that the
 * server's channel cache, the feed client and the widget's stored lists all follow, so that every
 * copy of a list orders and trims posts exactly as Redis does.
 */

/** What the order needs of a post. */
export interface Placed {
  id: string;
  publishedAt: string;
}

/** Redis's ZREVRANGE order: the newer `publishedAt` first, then the higher id (byte order). */
export function newerFirst(a: Placed, b: Placed): number {
  const byTime = Date.parse(b.publishedAt) - Date.parse(a.publishedAt);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** One event as a change of a list: the post `id` goes, and `post` (if any) takes its place. */
export interface Change<P extends Placed> {
  id: string;
  post?: P;
}

/** A replayed or live event of the public protocol as a {@link Change}. */
export function changeOf(event: ReplayedEvent): Change<Post> {
  return event.type === 'post:removed' ? { id: event.id } : { id: event.post.id, post: event.post };
}

/**
 * `posts` (newest first) after `change`: the post removed, or put in its place (replacing an
 * older version of itself), and the list cut to `limit`. Returns a new array.
 */
export function applyChange<P extends Placed>(
  posts: readonly P[],
  change: Change<P>,
  limit: number,
): P[] {
  const others = posts.filter((p) => p.id !== change.id);
  const { post } = change;
  if (post !== undefined) {
    const at = others.findIndex((p) => newerFirst(post, p) < 0);
    others.splice(at === -1 ? others.length : at, 0, post);
  }
  return others.length > limit ? others.slice(0, limit) : others;
}
