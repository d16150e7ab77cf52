import type { Post } from '../../../shared/contract/protocol.js';

/**
 * The cross-channel stream of posts, merged by post id (one post can be in several
 * channels, and then arrives once per channel), newest `publishedAt` first. DOM-free.
 */
export interface PostStream {
  /** Replaces the stream with a snapshot made of several channels' lists. */
  reset(posts: readonly Post[]): void;
  /** A new or changed post (`post:new`, `post:updated`). */
  upsert(post: Post): void;
  /** `post:removed` from one channel: the post goes when it is left in no channel. */
  removeFromChannel(id: string, channel: string): void;
  /** The post is gone everywhere (retracted). */
  remove(id: string): void;
  get(id: string): Post | undefined;
  /** Newest first, at most `limit`. */
  list(): Post[];
}

/** The server's order: newer `publishedAt` first, then the higher id. */
export function newerFirst(a: Post, b: Post): number {
  const byTime = Date.parse(b.publishedAt) - Date.parse(a.publishedAt);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Of two copies of one post, the one changed last (a copy without `updatedAt` is the oldest). */
function later(a: Post, b: Post): Post {
  return Date.parse(b.updatedAt ?? '') > Date.parse(a.updatedAt ?? '') ? b : a;
}

export function createPostStream(limit: number): PostStream {
  const posts = new Map<string, Post>();

  /** Keeps the newest `limit`: an old post pushed out of the page is not missed. */
  function trim(): void {
    if (posts.size <= limit) return;
    const keep = [...posts.values()].sort(newerFirst).slice(0, limit);
    posts.clear();
    for (const post of keep) posts.set(post.id, post);
  }

  return {
    reset(snapshot) {
      posts.clear();
      for (const post of snapshot) {
        const known = posts.get(post.id);
        posts.set(post.id, known ? later(known, post) : post);
      }
      trim();
    },
    upsert(post) {
      posts.set(post.id, post);
      trim();
    },
    removeFromChannel(id, channel) {
      const post = posts.get(id);
      if (!post) return;
      const channels = post.channels.filter((name) => name !== channel);
      if (channels.length === 0) posts.delete(id);
      else posts.set(id, { ...post, channels });
    },
    remove(id) {
      posts.delete(id);
    },
    get(id) {
      return posts.get(id);
    },
    list() {
      return [...posts.values()].sort(newerFirst);
    },
  };
}
