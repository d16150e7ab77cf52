import type { NormalizedArticle } from '../../shared/domain/article/normalize.js';
import { postContentHash, toStoredPost } from '../../shared/domain/article/stored.js';
import type { ChannelLog } from '../../shared/domain/channel-log.js';
import type { IngestJobResult } from '../../shared/domain/ingest-queue.js';

/** Optimistic retries when another job changes the same post between our read and write. */
const MAX_CONFLICTS = 10;

export interface StoreOptions {
  /**
   * The article comes from a polled feed: its channels are added to those the post already
   * has (the same story in two feeds, or in a feed and the API, is one post in both
   * channels), and a post an editor removed stays removed while the feed still lists it.
   * A producer re-sending through the API republishes.
   */
  fromFeed?: boolean;
}

export type StoreArticle = (
  article: NormalizedArticle,
  acceptedAt: number,
  options?: StoreOptions,
) => Promise<IngestJobResult>;

/**
 * "Store an article", the one step both paths end in: an ingest job (an article the API or the
 * demo queued) and a feed poll (each item of the feed, inline, so the poll's status counts
 * exactly what it added and updated). Turns the article into a post: new, updated, or nothing
 * when it is unchanged.
 *
 * Idempotent by the stored content hash: a retried or duplicated job, a re-polled feed or a
 * re-send finds the same hash and changes nothing, whatever BullMQ remembers of job ids.
 */
export function createStoreArticle(
  channelLog: ChannelLog,
  now: () => number = Date.now,
  /** Takes what a store trimmed, to prune later (workers/ingest/pruner.ts); else pruned at once. */
  prune: (ids: readonly string[]) => unknown = (ids) => channelLog.prune(ids),
): StoreArticle {
  return async (article, acceptedAt, options = {}) => {
    if (options.fromFeed && (await channelLog.isRetracted(article.id))) {
      return { postId: article.id, status: 'unchanged', events: 0 };
    }
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      // Most articles are new: the first attempt assumes so and skips the read (a round trip
      // of four per job). The script refuses it as a conflict if the post exists, and the
      // next attempt reads it. A feed item is merged into what is stored, so it always reads.
      const stored = attempt === 0 && !options.fromFeed ? null : await channelLog.read(article.id);
      // Without a producer date, the first accepted time stays the post's date for good.
      const publishedAt =
        article.publishedAt ?? stored?.post.publishedAt ?? new Date(acceptedAt).toISOString();
      const channels =
        options.fromFeed && stored
          ? [...new Set([...stored.post.channels, ...article.channels])].slice(0, 10)
          : article.channels;
      const post = toStoredPost({ ...article, channels }, publishedAt);
      const hash = postContentHash(post);
      if (stored?.hash === hash) return { postId: article.id, status: 'unchanged', events: 0 };
      if (stored) post.updatedAt = new Date(now()).toISOString();

      const outcome = await channelLog.upsert(post, hash, acceptedAt, stored);
      if (outcome.status === 'conflict') continue;
      // A retried job whose first attempt was applied (its reply lost to a timeout) never saw
      // what it trimmed: the script kept those ids in a set, and pruning drains it.
      if (outcome.status === 'unchanged') await channelLog.prune([]);
      if (outcome.status !== 'applied')
        return { postId: article.id, status: outcome.status, events: 0 };
      // The posts this one pushed out of a list, once no list holds them: a post lives while
      // some channel shows it.
      if (outcome.trimmed.length > 0) await prune(outcome.trimmed);
      const status = stored ? 'updated' : 'created';
      return { postId: article.id, status, events: outcome.events.length };
    }
    throw new Error(`post ${article.id} kept changing under ${MAX_CONFLICTS} attempts; will retry`);
  };
}
