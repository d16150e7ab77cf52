import { createHash } from 'node:crypto';
import { Queue, type ConnectionOptions } from 'bullmq';
import type { RedisClient } from '../infra/redis.js';
import { canonicalUrl } from './article/post-id.js';
import { POLL_QUEUE, type Keys } from './keys.js';
import { scriptsOn } from './scripts.js';
import { pushView, type StoredPush } from './websub.js';
import type { LastPoll, SourceConfig, SourceView } from '../contract/http.js';

export type { LastPoll, SourceConfig, SourceView };

/** What the poller learns; written by workers only. */
export interface SourceState {
  lastPoll?: LastPoll;
  consecutiveErrors: number;
  /** ISO time of the next poll the source is due for (backoff, Retry-After and TTL included). */
  nextPollAt: string;
  etag?: string;
  lastModified?: string;
  /** Whether the feed ever had items: one that had and now has none is an error, not "all removed". */
  hadItems?: boolean;
}

export function sourceIdFor(url: string): string {
  return `s${createHash('sha256').update(canonicalUrl(url)).digest('base64url').slice(0, 16)}`;
}

export const SOURCE_ID_PATTERN = /^s[A-Za-z0-9_-]{16}$/;

/**
 * How long an item that left its feed is remembered (its first-seen time): longer than a feed
 * that briefly lost items stays broken, so an undated item that comes back keeps its date.
 */
export const SEEN_MEMORY_MS = 30 * 24 * 3600 * 1000;

/** A source as stored: what the API set, what the poller learned, and its WebSub status if any. */
export interface StoredSource {
  config: SourceConfig;
  state: SourceState;
  /** Written by the WebSub code only (shared/domain/websub.ts), beside the poller's state. */
  push?: StoredPush;
}

export interface SourceStore {
  /** False when a source with this id exists already. */
  create(config: SourceConfig, state: SourceState): Promise<boolean>;
  get(id: string): Promise<StoredSource | null>;
  list(): Promise<StoredSource[]>;
  /** False when there was no such source. */
  remove(id: string): Promise<boolean>;
  /** Writes the poller's state, unless the source was deleted meanwhile. */
  saveState(id: string, state: SourceState): Promise<void>;
  /**
   * When each item key was first seen (recording `now` for new ones). Items absent from this
   * poll and first seen over {@link SEEN_MEMORY_MS} ago are forgotten, so the record stays as
   * small as a month of the feed.
   */
  firstSeen(id: string, itemKeys: string[], now: number): Promise<Map<string, number>>;
}

export function createSourceStore(redis: RedisClient, keys: Keys): SourceStore {
  const scripts = scriptsOn(redis);
  const parse = (fields: Record<string, string>) => {
    if (!fields.config) return null;
    const config = JSON.parse(fields.config) as SourceConfig;
    const saved = JSON.parse(fields.state ?? '{}') as Partial<SourceState>;
    const state: SourceState = { consecutiveErrors: 0, nextPollAt: config.createdAt, ...saved };
    const source: StoredSource = { config, state };
    if (fields.push) source.push = JSON.parse(fields.push) as StoredPush;
    return source;
  };
  return {
    async create(config, state) {
      const created = await redis.hsetnx(keys.source(config.id), 'config', JSON.stringify(config));
      if (created === 0) return false;
      await redis
        .multi()
        .hset(keys.source(config.id), 'state', JSON.stringify(state))
        .sadd(keys.sources, config.id)
        .exec();
      return true;
    },
    async get(id) {
      return parse(await redis.hgetall(keys.source(id)));
    },
    async list() {
      const ids = (await redis.smembers(keys.sources)).sort();
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.hgetall(keys.source(id));
      const found = [];
      for (const [err, fields] of (await pipeline.exec()) ?? []) {
        if (err) throw err;
        const source = parse(fields as Record<string, string>);
        if (source) found.push(source);
      }
      return found;
    },
    async remove(id) {
      const replies = await redis
        .multi()
        .del(keys.source(id))
        .del(keys.sourceSeen(id))
        .srem(keys.sources, id)
        .exec();
      return replies?.[0]?.[1] === 1;
    },
    async saveState(id, state) {
      // Only an existing source: a poll that ends after DELETE must not bring it back.
      await scripts.saveSourceState([keys.source(id)], [JSON.stringify(state)]);
    },
    async firstSeen(id, itemKeys, now) {
      if (itemKeys.length === 0) return new Map();
      const key = keys.sourceSeen(id);
      const pipeline = redis.pipeline();
      for (const item of itemKeys) pipeline.hsetnx(key, item, now);
      pipeline.hmget(key, ...itemKeys);
      const replies = (await pipeline.exec()) ?? [];
      const times = (replies.at(-1)?.[1] ?? []) as (string | null)[];
      const current = new Set(itemKeys);
      const forgotten = Object.entries(await redis.hgetall(key))
        .filter(([item, at]) => !current.has(item) && Number(at) < now - SEEN_MEMORY_MS)
        .map(([item]) => item);
      if (forgotten.length > 0) await redis.hdel(key, ...forgotten);
      return new Map(itemKeys.map((item, i) => [item, Number(times[i] ?? now)]));
    },
  };
}

export function sourceView(
  { config, state, push }: StoredSource,
  now: number = Date.now(),
): SourceView {
  const view: SourceView = {
    ...config,
    consecutiveErrors: state.consecutiveErrors,
    nextPollAt: state.nextPollAt,
  };
  if (state.lastPoll) view.lastPoll = state.lastPoll;
  if (push) view.push = pushView(push, now);
  return view;
}

/** A poll job: scheduled (every interval) or asked for (`POST /api/sources/:id/poll`). */
export interface PollJobData {
  sourceId: string;
  /** Poll even if backoff or the feed's own minimum interval says "not yet". */
  now?: boolean;
}

export type PollQueue = Queue<PollJobData>;

export function createPollQueue(connection: ConnectionOptions, keys: Keys): PollQueue {
  return new Queue<PollJobData>(POLL_QUEUE, {
    connection,
    prefix: keys.queuePrefix,
    defaultJobOptions: {
      attempts: 1,
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 1000 },
    },
  });
}

/** One job scheduler per source, at its interval, offset at random so sources don't poll in step. */
export async function scheduleSource(queue: PollQueue, config: SourceConfig): Promise<void> {
  const everyMs = config.intervalSeconds * 1000;
  await queue.upsertJobScheduler(
    config.id,
    { every: everyMs, offset: Math.floor(Math.random() * everyMs) },
    { name: 'poll', data: { sourceId: config.id } },
  );
}

export async function unscheduleSource(queue: PollQueue, id: string): Promise<void> {
  await queue.removeJobScheduler(id);
}

export async function pollNow(queue: PollQueue, id: string): Promise<string> {
  const job = await queue.add('poll', { sourceId: id, now: true });
  return job.id ?? '';
}
