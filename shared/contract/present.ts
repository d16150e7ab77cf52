import type { Post, StoredPost } from './protocol.js';
import { formatAgo } from './relative-time.js';

/** The post as a receiver sees it: with its label in the receiver's (resolved) locale. */
export function presentPost(post: StoredPost, now: number, locale: string): Post {
  return { ...post, ago: formatAgo(post.publishedAt, now, locale) };
}
