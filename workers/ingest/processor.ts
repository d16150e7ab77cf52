import { UnrecoverableError, type Job } from 'bullmq';
import type { ChannelLog } from '../../shared/domain/channel-log.js';
import { validateNormalizedArticle } from '../../shared/domain/article/stored.js';
import {
  isCanary,
  type IngestQueueData,
  type IngestQueueResult,
} from '../../shared/domain/ingest-queue.js';
import { createStoreArticle } from './store-article.js';

/** The ingest queue's processor: canaries pass through, articles are checked again and stored. */
export function createIngestProcessor(
  channelLog: ChannelLog,
  now: () => number = Date.now,
  prune?: (ids: readonly string[]) => void,
) {
  const store = createStoreArticle(channelLog, now, prune);
  return async function processIngestJob(job: Job<IngestQueueData>): Promise<IngestQueueResult> {
    const data = job.data;
    if (isCanary(data)) return null; // being taken at all is the canary's whole point
    const checked = validateNormalizedArticle(data.article);
    if (!checked.ok) {
      const problems = checked.details.map((d) => `${d.path}: ${d.message}`).join('; ');
      throw new UnrecoverableError(`invalid article: ${problems}`);
    }
    if (!Number.isSafeInteger(data.acceptedAt)) throw new UnrecoverableError('invalid acceptedAt');
    return store(checked.article, data.acceptedAt);
  };
}
