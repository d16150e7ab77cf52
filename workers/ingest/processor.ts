import { UnrecoverableError, type Job } from 'bullmq';
import type { ChannelLog } from '../../shared/domain/channel-log.js';
import { ARTICLE_LIMITS } from '../../shared/domain/article/limits.js';
import { validateNormalizedArticle } from '../../shared/domain/article/stored.js';
import {
  isBatch,
  isCanary,
  type BatchJobData,
  type IngestJobResult,
  type IngestQueueData,
  type IngestQueueResult,
} from '../../shared/domain/ingest-queue.js';
import { createStoreArticle, type StoreArticle } from './store-article.js';

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
    if (!Number.isSafeInteger(data.acceptedAt)) throw new UnrecoverableError('invalid acceptedAt');
    if (!isBatch(data)) return storeChecked(store, data.article, data.acceptedAt);
    return { posts: await storeBatch(store, data.articles, acceptedTimes(data)) };
  };
}

/**
 * When each article of a batch was accepted: its own time in a group of single-article POSTs
 * (`acceptedAts`), else the batch's. Checked like `acceptedAt`, and as long as `articles`.
 */
function acceptedTimes(data: BatchJobData): (index: number) => number {
  const { acceptedAt, acceptedAts, articles } = data;
  // Without articles the batch is refused for that (storeBatch).
  if (acceptedAts === undefined || !Array.isArray(articles)) return () => acceptedAt;
  if (
    !Array.isArray(acceptedAts) ||
    acceptedAts.length !== articles.length ||
    !acceptedAts.every((at) => Number.isSafeInteger(at))
  ) {
    throw new UnrecoverableError(
      'invalid acceptedAts: one whole number of ms per article expected',
    );
  }
  return (index) => acceptedAts[index] ?? acceptedAt;
}

/** Checks what the API checked already: a job is data in Redis, which anyone with access can write. */
async function storeChecked(
  store: StoreArticle,
  article: unknown,
  acceptedAt: number,
): Promise<IngestJobResult> {
  const checked = validateNormalizedArticle(article);
  if (!checked.ok) {
    const problems = checked.details.map((d) => `${d.path}: ${d.message}`).join('; ');
    throw new UnrecoverableError(`invalid article: ${problems}`);
  }
  return store(checked.article, acceptedAt);
}

/**
 * Stores a batch's articles, all at once: their first script calls leave in one write, in the
 * batch's order, and Redis runs them in that order. Every article is tried; then a failure
 * fails the job, to be retried whole (storing is idempotent: what was stored is unchanged the
 * second time), or for good when an article can never be stored.
 */
async function storeBatch(
  store: StoreArticle,
  articles: unknown,
  acceptedAt: (index: number) => number,
): Promise<IngestJobResult[]> {
  if (!Array.isArray(articles) || articles.length === 0 || articles.length > ARTICLE_LIMITS.batch) {
    throw new UnrecoverableError(`invalid batch: 1 to ${ARTICLE_LIMITS.batch} articles expected`);
  }
  const outcomes = await Promise.allSettled(
    articles.map((article: unknown, index) => storeChecked(store, article, acceptedAt(index))),
  );
  const stored: IngestJobResult[] = [];
  const invalid: string[] = [];
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome.status === 'fulfilled') stored.push(outcome.value);
    else if (outcome.reason instanceof UnrecoverableError)
      invalid.push(`articles[${index}]: ${outcome.reason.message}`);
    else throw outcome.reason; // Redis, most likely: the retry stores what is missing
  }
  if (invalid.length > 0) throw new UnrecoverableError(invalid.join('; '));
  return stored;
}
