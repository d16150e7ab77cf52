import { parseCursor } from '../../../shared/contract/cursor.js';
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

export const isPost = (value: unknown): value is Post => {
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

/** Feeds the page itself holds (a server-rendered list, adopt.ts), by storage key. */
const seeds = new Map<string, StoredFeed>();

/** Keeps a feed the page holds, for this page's life; `loadFeed` offers it when it is later. */
export function seedFeed(server: string, channel: string, feed: StoredFeed): void {
  seeds.set(keyOf(server, channel), feed);
}

/**
 * Of two feeds kept for one channel, the one to start from: in one history, the later one; across
 * histories (a failover, or a page built long ago), `preferred`, the one the reader sees.
 */
function laterFeed(preferred?: StoredFeed, other?: StoredFeed): StoredFeed | undefined {
  if (!preferred || !other) return preferred ?? other;
  const a = parseCursor(preferred.cursor);
  const b = parseCursor(other.cursor);
  return a && b && a.epoch === b.epoch && b.seq > a.seq ? other : preferred;
}

/**
 * The feed to resume `channel` from: what this tab stored before a reload, or what the page
 * holds, whichever is later; undefined when neither is there (or in the expected shape).
 */
export function loadFeed(server: string, channel: string): StoredFeed | undefined {
  return laterFeed(seeds.get(keyOf(server, channel)), loadStoredFeed(server, channel));
}

function loadStoredFeed(server: string, channel: string): StoredFeed | undefined {
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
