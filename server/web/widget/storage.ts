import type { Post } from '../../../shared/contract/protocol.js';

/** What the widget keeps per server and channel in sessionStorage, so a reload resumes. */
export interface StoredFeed {
  cursor: string;
  /** The subscribe limit the posts were kept for. */
  limit: number;
  posts: Post[];
}

const PREFIX = 'khabar:v1:';

const keyOf = (server: string, channel: string): string => `${PREFIX}${server}|${channel}`;

function storage(): Storage | undefined {
  try {
    return window.sessionStorage; // throws in sandboxed frames and with storage blocked
  } catch {
    return undefined;
  }
}

const isPost = (value: unknown): value is Post => {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  return (
    typeof p.id === 'string' &&
    typeof p.url === 'string' &&
    typeof p.title === 'string' &&
    typeof p.publishedAt === 'string' &&
    Number.isFinite(Date.parse(p.publishedAt)) &&
    (p.summary === undefined || typeof p.summary === 'string') &&
    (p.lang === undefined || typeof p.lang === 'string')
  );
};

/** The stored feed, or undefined when absent or not in the expected shape. */
export function loadFeed(server: string, channel: string): StoredFeed | undefined {
  try {
    const text = storage()?.getItem(keyOf(server, channel));
    if (!text) return undefined;
    const value = JSON.parse(text) as Partial<Record<keyof StoredFeed, unknown>> | null;
    if (
      !value ||
      typeof value.cursor !== 'string' ||
      typeof value.limit !== 'number' ||
      !Array.isArray(value.posts) ||
      !value.posts.every(isPost)
    )
      return undefined;
    return { cursor: value.cursor, limit: value.limit, posts: value.posts };
  } catch {
    return undefined;
  }
}

export function saveFeed(server: string, channel: string, feed: StoredFeed): void {
  try {
    storage()?.setItem(keyOf(server, channel), JSON.stringify(feed));
  } catch {
    // Quota or privacy mode: resuming is a nicety, the live feed still works.
  }
}
