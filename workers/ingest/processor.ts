import { UnrecoverableError, type Job } from 'bullmq';
import { postContentHash, toStoredPost, validateNormalizedArticle } from '../../shared/article.js';
import type { ChannelLog } from '../../shared/channel-log.js';
import {
  isCanary,
  type IngestQueueData,
  type IngestQueueResult,
} from '../../shared/ingest-queue.js';

/** Optimistic retries when another job changes the same post between our read and write. */
const MAX_CONFLICTS = 10;

/**
 * Turns an accepted article into a post: new, updated, or nothing when it is unchanged.
 *
 * Idempotent by the stored content hash: a retried or duplicated job, or a re-send, finds
 * the same hash and changes nothing, whatever BullMQ remembers of job ids.
 */
export function createIngestProcessor(channelLog: ChannelLog, now: () => number = Date.now) {
  return async function processIngestJob(job: Job<IngestQueueData>): Promise<IngestQueueResult> {
    const data = job.data;
    if (isCanary(data)) return null; // being taken at all is the canary's whole point
    const checked = validateNormalizedArticle(data.article);
    if (!checked.ok) {
      const problems = checked.details.map((d) => `${d.path}: ${d.message}`).join('; ');
      throw new UnrecoverableError(`invalid article: ${problems}`);
    }
    const { article } = checked;
    const acceptedAt = data.acceptedAt;
    if (!Number.isSafeInteger(acceptedAt)) throw new UnrecoverableError('invalid acceptedAt');

    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const stored = await channelLog.read(article.id);
      // Without a producer date, the first accepted time stays the post's date for good.
      const publishedAt =
        article.publishedAt ?? stored?.post.publishedAt ?? new Date(acceptedAt).toISOString();
      const post = toStoredPost(article, publishedAt);
      const hash = postContentHash(post);
      if (stored?.hash === hash) return { postId: article.id, status: 'unchanged', events: 0 };
      if (stored) post.updatedAt = new Date(now()).toISOString();

      const outcome = await channelLog.upsert(post, hash, acceptedAt, stored);
      if (outcome.status === 'conflict') continue;
      const events = outcome.status === 'applied' ? outcome.events.length : 0;
      return { postId: article.id, status: outcome.status, events };
    }
    throw new Error(`post ${article.id} kept changing under ${MAX_CONFLICTS} attempts; will retry`);
  };
}
