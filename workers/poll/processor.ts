import type { Job } from 'bullmq';
import type { RedisClient } from '../../shared/infra/redis.js';
import type { Logger } from 'pino';
import type { Keys } from '../../shared/domain/keys.js';
import { publishNewsroomEvents } from '../../shared/domain/newsroom-events.js';
import type {
  LastPoll,
  PollJobData,
  SourceState,
  SourceStore,
} from '../../shared/domain/sources.js';
import type { PollErrorCode } from '../../shared/infra/errors.js';
import type { StoreArticle } from '../ingest/store-article.js';
import { policyFromConfig } from '../../shared/domain/address-guard.js';
import { FetchError } from '../../shared/domain/feed/fetch/fetch-error.js';
import { fetchFeed } from '../../shared/domain/feed/fetch/fetch-feed.js';
import type { HostLimiter } from '../../shared/domain/feed/fetch/host-limit.js';
import { FeedError } from '../../shared/domain/feed/feed-error.js';
import { storeFeedDocument } from './store-feed.js';
import { discoverHub, type HubDiscovery } from '../push/discover-hub.js';

/** Consecutive errors back off exponentially from the interval, up to this. */
const MAX_BACKOFF_MS = 6 * 3600 * 1000;

/**
 * The longest wait a publisher can ask for (Cache-Control max-age, RSS ttl, Retry-After): a feed
 * must not be able to stop its own polling for years, by mistake or on purpose.
 */
export const MAX_PUBLISHER_DELAY_MS = 24 * 3600 * 1000;

/** `requestedMs` capped at {@link MAX_PUBLISHER_DELAY_MS}, with a notice when it was. */
function publisherDelay(requestedMs: number, what: string): { ms: number; notice?: string } {
  if (requestedMs <= MAX_PUBLISHER_DELAY_MS) return { ms: requestedMs };
  const hours = Math.round(requestedMs / 3_600_000);
  return {
    ms: MAX_PUBLISHER_DELAY_MS,
    notice: `The feed asked to wait ${hours} h (${what}); Khabar waits at most 24 h.`,
  };
}

export interface PollDeps {
  store: SourceStore;
  /** Each item goes through the same step as an ingest job, inline (see StoreArticle). */
  storeArticle: StoreArticle;
  redis: RedisClient;
  keys: Keys;
  logger: Logger;
  allowPrivateFeeds: boolean;
  hostLimiter: HostLimiter;
  /** RECENT_LIMIT: the most items one poll takes (the newest), as no list shows more. */
  recentLimit: number;
  /**
   * After each poll that read the feed: the hub it names, if any (WebSub). Its failures are
   * logged, never the poll's: pushing is an extra, polling the service.
   */
  onFetched?: (source: PolledSource, hub: HubDiscovery | undefined) => Promise<void>;
  now?: () => number;
}

/** A source as a poll read it from the store. */
export type PolledSource = NonNullable<Awaited<ReturnType<SourceStore['get']>>>;

/** `busy`: another poll of the same source is running (a scheduled one and an asked-for one). */
export type PollOutcome = LastPoll | { skipped: 'deleted' | 'not-due' | 'busy' };

/** Longer than a poll can take (fetch 20 s, then storing at most RECENT_LIMIT items). */
const POLL_LOCK_MS = 120_000;

/** ±10 %, so sources that failed together do not retry together. */
const jitter = (ms: number): number => Math.round(ms * (0.9 + Math.random() * 0.2));

function describe(err: unknown): {
  error: string;
  httpStatus?: number;
  retryAfterSeconds?: number;
} {
  if (err instanceof FetchError) {
    return {
      error: `${err.code}: ${err.message}`,
      httpStatus: err.httpStatus,
      retryAfterSeconds: err.retryAfterSeconds,
    };
  }
  if (err instanceof FeedError) return { error: `${err.code}: ${err.message}` };
  const internal: PollErrorCode<'poll'> = 'internal';
  return { error: `${internal}: ${err instanceof Error ? err.message : String(err)}` };
}

/**
 * One poll of one source, each stage a named step: fetch (conditional, guarded) → decode →
 * parse → take the newest items → map → normalise (the API's validation) → store an article
 * (the ingest job's own step, {@link StoreArticle}) → the source's status.
 *
 * Items are stored inline rather than queued as ingest jobs: the status then says exactly how
 * many were added and updated, and a poll whose storing fails (Redis away) fails as a whole and
 * is simply polled again, every item idempotent by its content hash.
 */
export function createPollProcessor({
  store,
  storeArticle,
  redis,
  keys,
  logger,
  allowPrivateFeeds,
  hostLimiter,
  recentLimit,
  onFetched,
  now = Date.now,
}: PollDeps) {
  const policy = policyFromConfig({ allowPrivateFeeds });

  /**
   * One poll at a time per source: a scheduled poll and an asked-for one may be due together,
   * and two at once would each count the other's items as theirs.
   */
  return async function pollSource(job: Job<PollJobData>): Promise<PollOutcome> {
    const lockKey = keys.pollLock(job.data.sourceId);
    const token = `${job.id ?? ''}:${String(now())}`;
    if ((await redis.set(lockKey, token, 'PX', POLL_LOCK_MS, 'NX')) === null) {
      return { skipped: 'busy' };
    }
    try {
      return await pollUnlocked(job);
    } finally {
      await redis.del(lockKey).catch(() => undefined);
    }
  };

  async function pollUnlocked(job: Job<PollJobData>): Promise<PollOutcome> {
    const log = logger.child({ queue: job.queueName, jobId: job.id, sourceId: job.data.sourceId });
    const source = await store.get(job.data.sourceId);
    if (!source) return { skipped: 'deleted' };
    const { config, state: before } = source;
    const at = now();
    if (!job.data.now && Date.parse(before.nextPollAt) > at + 1000) return { skipped: 'not-due' };

    const intervalMs = config.intervalSeconds * 1000;
    const state: SourceState = { ...before };
    const nothing = { at: new Date(at).toISOString(), items: 0, added: 0, updated: 0 };
    let lastPoll: LastPoll;
    let waitMs = intervalMs;
    /** A failure that is not the feed's: a bug, logged whole (the feed's own are routine). */
    let internalError: unknown;
    try {
      const fetched = await fetchFeed(config.url, {
        etag: before.etag,
        lastModified: before.lastModified,
        policy,
        hostLimiter,
      });
      state.etag = fetched.etag ?? before.etag;
      state.lastModified = fetched.lastModified ?? before.lastModified;
      if (fetched.status === 'not-modified') {
        lastPoll = { ...nothing, status: 'not-modified', httpStatus: 304 };
      } else {
        const { feed, added, updated, notice } = await storeFeedDocument(
          { store, storeArticle, recentLimit },
          config,
          { body: fetched.body, contentType: fetched.contentType, feedUrl: fetched.finalUrl },
          at,
          (parsed) => {
            if (parsed.items.length === 0 && before.hadItems) {
              throw new FeedError(
                'malformed',
                'The feed had items before and now has none; it is probably broken, so nothing was removed.',
              );
            }
          },
        );
        await onFetched?.(source, discoverHub(feed, fetched.link, fetched.finalUrl)).catch(
          (err: unknown) => {
            log.warn({ event: 'websub.failed', err }, 'could not act on the hub the feed names');
          },
        );
        state.hadItems = before.hadItems === true || feed.items.length > 0;
        const maxAgeMs = (fetched.minIntervalSeconds ?? 0) * 1000;
        const ttlMs = (feed.ttlMinutes ?? 0) * 60_000;
        const asked = publisherDelay(
          Math.max(maxAgeMs, ttlMs),
          maxAgeMs >= ttlMs ? 'Cache-Control max-age' : 'RSS ttl',
        );
        waitMs = Math.max(intervalMs, asked.ms);
        // Both may apply: the feed asked for a long wait and some of its dates had to be guessed.
        const notices = [asked.notice, notice].filter((text) => text !== undefined);
        lastPoll = {
          ...nothing,
          status: 'ok',
          httpStatus: fetched.httpStatus,
          items: feed.items.length,
          added,
          updated,
          ...(notices.length > 0 ? { notice: notices.join(' ') } : {}),
        };
      }
      state.consecutiveErrors = 0;
    } catch (err) {
      const { error, httpStatus, retryAfterSeconds } = describe(err);
      if (!(err instanceof FetchError || err instanceof FeedError)) internalError = err;
      state.consecutiveErrors = before.consecutiveErrors + 1;
      const backoffMs = Math.min(intervalMs * 2 ** (state.consecutiveErrors - 1), MAX_BACKOFF_MS);
      const asked = publisherDelay((retryAfterSeconds ?? 0) * 1000, 'Retry-After');
      waitMs = Math.max(backoffMs, asked.ms);
      lastPoll = {
        ...nothing,
        status: 'error',
        error,
        ...(asked.notice ? { notice: asked.notice } : {}),
      };
      if (httpStatus !== undefined) lastPoll.httpStatus = httpStatus;
    }
    state.lastPoll = lastPoll;
    state.nextPollAt = new Date(at + jitter(waitMs)).toISOString();
    await store.saveState(config.id, state);

    const report = {
      sourceId: config.id,
      url: config.url,
      ...lastPoll,
      nextPollAt: state.nextPollAt,
    };
    const { sourceId: _sourceId, ...polled } = report; // the logger names the source
    log[lastPoll.status === 'error' ? 'warn' : 'info'](
      {
        event: 'source.polled',
        ...polled,
        consecutiveErrors: state.consecutiveErrors,
        ...(internalError === undefined ? {} : { err: internalError }),
      },
      lastPoll.status === 'error' ? 'source poll failed' : 'source polled',
    );
    const { at: _at, ...event } = report; // the event carries nextPollAt, not the poll time
    // The dashboards' news, not the poll's outcome: a Redis hiccup here must not fail the poll.
    await publishNewsroomEvents(redis, keys, [{ type: 'source:polled', payload: event }]).catch(
      () => undefined,
    );
    return lastPoll;
  }
}
