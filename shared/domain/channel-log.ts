import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../infra/redis.js';
import { EMPTY_EPOCH } from '../contract/cursor.js';
import type { Keys } from './keys.js';
import { scriptsOn } from './scripts.js';
import type { PostEventType, StoredPost } from '../contract/protocol.js';

/**
 * The per-channel ordered log: the single source of truth for live delivery and recovery.
 *
 * Every change to a post is one Lua script that, atomically, writes the post, updates each
 * channel's recent list, takes the channel's next `seq`, appends the event to the channel's
 * stream under the id `<seq>-0` (so a replay after a cursor is one exact XRANGE) and copies
 * it to the global fan-out stream that every server node tails. Nothing is pushed that is
 * not in Redis first. The scripts are the files of `lua/` (see ./scripts.ts).
 */

/** One event of one channel, as stored and as the fan-out hands it to the server. */
export interface LogEvent {
  type: PostEventType;
  channel: string;
  seq: number;
  epoch: string;
  /** The post id (for every type). */
  id: string;
  /** The post, for `post:new` and `post:updated`. */
  post?: StoredPost;
  /**
   * When the change was accepted (epoch ms): the API's or the poll's time for a post, the
   * removal's for `post:removed`. Carried by the fan-out stream only (publish-to-deliver metric).
   */
  acceptedAt?: number;
  /** When the writer (a worker, a poll) called the script that appended it (its clock, ms). */
  scriptAt?: number;
  /** When Redis appended it to the fan-out stream (the entry id's time, Redis's clock, ms). */
  storedAt?: number;
}

export interface ChannelLogLimits {
  /** Posts kept per channel in its recent list (RECENT_LIMIT). */
  recentLimit: number;
  /** Events kept per channel for replay (HISTORY_LIMIT). */
  historyLimit: number;
}

/** A post as stored, with what the idempotency guard needs. */
export interface StoredRecord {
  post: StoredPost;
  hash: string;
  acceptedAt: number;
}

export type UpsertOutcome =
  /** `trimmed`: ids that left a recent list to make room, for {@link ChannelLog.prune}. */
  | { status: 'applied'; events: LogEvent[]; trimmed: string[] }
  /** A new post older than every full recent list it would enter: nothing is stored. */
  | { status: 'expired' }
  /** The stored content hash is the same: a re-send or a retried job; nothing changes. */
  | { status: 'unchanged' }
  /** A newer version (accepted later) is already stored. */
  | { status: 'stale' }
  /** The post changed since it was read: read again and retry. */
  | { status: 'conflict' };

export type RemoveOutcome =
  { status: 'removed'; events: LogEvent[] } | { status: 'missing' } | { status: 'conflict' };

export interface MasterLineage {
  /** `master_replid`: changes when a replica is promoted, and when a master restarts. */
  replid: string;
  /** The master was a replica (a failover promoted it): `master_replid2` is not zeros. */
  promoted: boolean;
}

/**
 * The lineage of the master that serves `routeKey`'s slot (any key: the script reads none, the
 * key only routes it on a Cluster), through `redis`, the connection whose writes matter.
 */
export async function readMasterLineage(
  redis: RedisClient,
  routeKey: string,
): Promise<MasterLineage> {
  const [replid, promoted] = (await scriptsOn(redis).masterLineage([routeKey], [])) as [
    string,
    number,
  ];
  return { replid, promoted: promoted === 1 };
}

export interface ChannelSnapshot {
  epoch: string;
  seq: number;
  /** Newest first. */
  posts: StoredPost[];
}

/** How long a removed post is remembered, so feeds that still list it do not revive it. */
const RETRACTION_MEMORY_MS = 30 * 24 * 3600 * 1000;

/**
 * Global fan-out stream length, trimmed lazily: two minutes of a very busy newsroom (16 events a
 * second). Nodes read it within milliseconds; one that falls further behind finds a gap in a
 * channel's seq and repairs the channel from its log. Bounded, so Redis memory stays flat.
 */
const EVENTS_STREAM_MAX = 2_000;

/** Retries of a prune that raced a change of the post's channels. */
const PRUNE_ATTEMPTS = 3;

/** Left-over trimmed ids one prune also takes on, so a backlog drains without one job stalling. */
const PRUNE_BACKLOG = 20;

/**
 * Attempts of a snapshot whose channel changed between the read of its ids and the script. Each
 * retry passes the ids the script saw, so only a change within that one round trip repeats it:
 * a channel written back to back (the channel-log test) needs 2 attempts, rarely 6.
 */
const SNAPSHOT_ATTEMPTS = 20;

/** Random per process, of fixed length: epochs from different processes never collide. */
const EPOCH_PREFIX = BigInt(`0x${randomBytes(6).toString('hex')}`)
  .toString(36)
  .padStart(10, '0');
let epochCounter = 0;

/**
 * A fresh epoch candidate, different at every call: base36 without `-`, so a cursor splits at
 * its last `-`. Every change offers one (it is kept only when the channel's epoch is missing),
 * so it is a counter after a random prefix rather than 8 random bytes each time.
 */
function newEpoch(): string {
  return `${EPOCH_PREFIX}${(epochCounter++).toString(36)}`;
}

function channelKeys(keys: Keys, channel: string): string[] {
  return [keys.recent(channel), keys.seq(channel), keys.epoch(channel), keys.log(channel)];
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** Parses the `{channel, seq, epoch, type}` rows that the scripts return after their status. */
function eventsFromScript(
  rows: unknown[],
  id: string,
  postsByChannel: (channel: string, type: PostEventType) => StoredPost | undefined,
): LogEvent[] {
  return rows.map((row) => {
    const [channel, seq, epoch, type] = row as [string, number, string, PostEventType];
    const post = postsByChannel(channel, type);
    return post ? { type, channel, seq, epoch, id, post } : { type, channel, seq, epoch, id };
  });
}

/** Reads the fields of one stream entry (`[k1, v1, k2, v2, …]`) into a map. */
export function entryFields(flat: readonly string[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
  return fields;
}

export interface ChannelLog {
  read(id: string): Promise<StoredRecord | null>;
  /** Whether the post was removed (DELETE) within the last 30 days. */
  isRetracted(id: string): Promise<boolean>;
  /**
   * Stores `post` if its content differs from what is stored and nothing newer is there,
   * appending `post:new` / `post:updated` / `post:removed` to each affected channel.
   * `expected` is the record read just before (null when there was none).
   */
  upsert(
    post: StoredPost,
    hash: string,
    acceptedAt: number,
    expected: StoredRecord | null,
  ): Promise<UpsertOutcome>;
  /** Removes the post from every list, appending `post:removed` to each of its channels. */
  remove(expected: StoredRecord): Promise<RemoveOutcome>;
  /**
   * Deletes each post of `ids` that no recent list holds any more (see `trimmed` of
   * {@link UpsertOutcome}); returns how many were deleted. A removed post's tombstone stays.
   */
  prune(ids: readonly string[]): Promise<number>;
  /**
   * The channel's epoch, seq and newest `limit` posts (published before `beforeMs` if given),
   * all as of one moment: replaying the log after `seq` brings them up to date.
   */
  snapshot(channel: string, limit: number, beforeMs?: number): Promise<ChannelSnapshot>;
  /**
   * Every event after `sinceSeq`, if the channel's epoch is still `epoch` and all of them
   * are still kept; otherwise null (the caller sends a fresh snapshot).
   */
  readSince(channel: string, epoch: string, sinceSeq: number): Promise<LogEvent[] | null>;
  /**
   * Which master Khabar's data is on: its replication id, and whether it was promoted from a
   * replica (a failover), as Redis itself reports them.
   */
  masterLineage(): Promise<MasterLineage>;
  /**
   * After a failover: gives `channel` a new epoch if its log was last appended to under another
   * master, with one event in it that sends every reader back for a snapshot. `shown`: the ids
   * this node's readers were shown, newest first. Whether the channel got a new epoch.
   */
  reconcile(channel: string, shown: readonly string[]): Promise<boolean>;
  /** Known channels with their post counts and newest publishedAt (ms, or null when empty). */
  channels(): Promise<{ channel: string; posts: number; lastPublishedMs: number | null }[]>;
}

export function createChannelLog(
  redis: RedisClient,
  keys: Keys,
  limits: ChannelLogLimits,
): ChannelLog {
  const scripts = scriptsOn(redis);

  return {
    async read(id) {
      const [data, hash, acceptedAt] = await redis.hmget(
        keys.post(id),
        'data',
        'hash',
        'acceptedAt',
      );
      if (data == null || hash == null) return null;
      return { post: JSON.parse(data) as StoredPost, hash, acceptedAt: Number(acceptedAt ?? 0) };
    },

    async isRetracted(id) {
      return (await redis.hexists(keys.post(id), 'removedAt')) === 1;
    },

    async upsert(post, hash, acceptedAt, expected) {
      const before = new Set(expected?.post.channels ?? []);
      const after = new Set(post.channels);
      const changes: [string, PostEventType][] = [
        ...post.channels.map((c): [string, PostEventType] => [
          c,
          before.has(c) ? 'post:updated' : 'post:new',
        ]),
        ...[...before]
          .filter((c) => !after.has(c))
          .map((c): [string, PostEventType] => [c, 'post:removed']),
      ];
      const json = JSON.stringify(post);
      const reply = await scripts.upsertPost(
        [
          keys.post(post.id),
          keys.events,
          keys.channels,
          keys.lineage,
          ...changes.flatMap(([c]) => channelKeys(keys, c)),
          keys.trimmedPosts,
        ],
        [
          expected?.hash ?? '',
          hash,
          acceptedAt,
          json,
          Date.parse(post.publishedAt),
          post.channels.join(','),
          limits.recentLimit,
          limits.historyLimit,
          newEpoch(),
          EVENTS_STREAM_MAX,
          Date.now(),
          post.id,
          ...changes.flat(),
        ],
      );
      const [status, trimmed, ...rows] = reply as [string, unknown, ...unknown[]];
      if (status !== 'applied') {
        return { status: status as 'unchanged' | 'stale' | 'conflict' | 'expired' };
      }
      const events = eventsFromScript(rows, post.id, (_channel, type) =>
        type === 'post:removed' ? undefined : post,
      );
      return { status: 'applied', events, trimmed: isStringArray(trimmed) ? trimmed : [] };
    },

    async prune(ids) {
      // Also those an earlier job trimmed and could not prune (it died, or its reply was lost).
      const left = await redis.srandmember(keys.trimmedPosts, PRUNE_BACKLOG);
      // Each id's read, then its script, sent together: a batch costs two round trips, not two
      // per post (a deferred prune hands over every post a second of jobs trimmed).
      let pending = [...new Set([...ids, ...left])];
      let deleted = 0;
      for (let attempt = 0; attempt < PRUNE_ATTEMPTS && pending.length > 0; attempt++) {
        const read = await Promise.all(
          pending.map(async (id) => ({
            id,
            channels: await redis.hget(keys.post(id), 'channels'),
          })),
        );
        const outcomes = await Promise.all(
          read.map(async ({ id, channels }) => {
            if (channels === null) {
              await redis.srem(keys.trimmedPosts, id); // gone, or a tombstone
              return { id, outcome: 'gone' };
            }
            const outcome = await scripts.prunePost(
              [keys.post(id), keys.trimmedPosts, ...channels.split(',').map((c) => keys.recent(c))],
              [channels, id],
            );
            return { id, outcome };
          }),
        );
        deleted += outcomes.filter((o) => o.outcome === 'deleted').length;
        // A post whose channels changed between the read and the script: read it again.
        pending = outcomes.filter((o) => o.outcome === 'conflict').map((o) => o.id);
      }
      return deleted;
    },

    async remove(expected) {
      const { post } = expected;
      const reply = await scripts.removePost(
        [
          keys.post(post.id),
          keys.events,
          keys.channels,
          keys.lineage,
          ...post.channels.flatMap((c) => channelKeys(keys, c)),
        ],
        [
          post.channels.join(','),
          limits.historyLimit,
          newEpoch(),
          EVENTS_STREAM_MAX,
          Date.now(),
          post.id,
          RETRACTION_MEMORY_MS,
          ...post.channels,
        ],
      );
      const [status, ...rows] = reply as [string, ...unknown[]];
      if (status !== 'removed') return { status: status as 'missing' | 'conflict' };
      return { status: 'removed', events: eventsFromScript(rows, post.id, () => undefined) };
    },

    masterLineage: () => readMasterLineage(redis, keys.lineage),

    async reconcile(channel, shown) {
      const newest = await redis.zrevrange(keys.recent(channel), 0, 0);
      const candidates = [...new Set([...shown, ...newest])];
      const [status] = (await scripts.reconcileChannel(
        [
          keys.recent(channel),
          keys.events,
          keys.channels,
          keys.lineage,
          ...channelKeys(keys, channel),
          ...candidates.map((id) => keys.post(id)),
        ],
        [newEpoch(), limits.historyLimit, EVENTS_STREAM_MAX, Date.now(), channel, ...candidates],
      )) as [string, ...unknown[]];
      return status === 'renewed';
    },

    async snapshot(channel, limit, beforeMs) {
      const maxScore = beforeMs === undefined ? '+inf' : `(${beforeMs}`;
      // A script reads only the keys it is given (a Redis Cluster refuses the rest): the ids
      // first, then the script re-reads them and, if they are all candidates, reads epoch, seq
      // and those posts at once; otherwise it answers the ids to try again with.
      let ids = await redis.zrevrangebyscore(
        keys.recent(channel),
        maxScore,
        '-inf',
        'LIMIT',
        0,
        limit,
      );
      for (let attempt = 1; ; attempt++) {
        const reply = await scripts.snapshot(
          [
            keys.recent(channel),
            keys.seq(channel),
            keys.epoch(channel),
            ...ids.map((id) => keys.post(id)),
          ],
          [limit, maxScore, ...ids],
        );
        if (!isStringArray(reply)) throw new Error('unexpected snapshot reply from Redis');
        const [status, ...rest] = reply;
        if (status === 'ok') {
          const [epoch = '', seq = '0', ...posts] = rest;
          return {
            epoch: epoch || EMPTY_EPOCH,
            seq: Number(seq),
            posts: posts.map((p) => JSON.parse(p) as StoredPost),
          };
        }
        if (status !== 'retry') throw new Error('unexpected snapshot reply from Redis');
        if (attempt >= SNAPSHOT_ATTEMPTS) {
          throw new Error(`channel ${channel} kept changing during ${attempt} snapshot attempts`);
        }
        ids = rest;
      }
    },

    async readSince(channel, epoch, sinceSeq) {
      const replies = await redis
        .multi()
        .get(keys.epoch(channel))
        .get(keys.seq(channel))
        .xrange(keys.log(channel), `${sinceSeq + 1}-0`, '+')
        .exec();
      if (!replies) return null;
      for (const [err] of replies) if (err) throw err;
      const currentEpoch = (replies[0]?.[1] as string | null) ?? EMPTY_EPOCH;
      const currentSeq = Number((replies[1]?.[1] as string | null) ?? 0);
      const entries = (replies[2]?.[1] ?? []) as [string, string[]][];
      if (currentEpoch !== epoch || sinceSeq > currentSeq) return null;
      if (currentSeq - sinceSeq !== entries.length) return null; // some were trimmed away
      return entries.map(([streamId, flat], i) => {
        const fields = entryFields(flat);
        const seq = sinceSeq + 1 + i;
        if (streamId !== `${seq}-0`) throw new Error(`channel log ${channel} has a gap at ${seq}`);
        const type = fields.get('t') as PostEventType;
        const id = fields.get('i') ?? '';
        const body = fields.get('p');
        return body
          ? { type, channel, seq, epoch, id, post: JSON.parse(body) as StoredPost }
          : { type, channel, seq, epoch, id };
      });
    },

    async channels() {
      const names = await redis.zrevrange(keys.channels, 0, -1);
      if (names.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const name of names) {
        pipeline.zcard(keys.recent(name));
        pipeline.zrevrange(keys.recent(name), 0, 0, 'WITHSCORES');
      }
      const replies = (await pipeline.exec()) ?? [];
      return names.map((channel, i) => {
        const [countErr, count] = replies[i * 2] ?? [];
        const [topErr, top] = replies[i * 2 + 1] ?? [];
        if (countErr ?? topErr) throw countErr ?? topErr ?? new Error('pipeline failed');
        const score = (top as string[] | undefined)?.[1];
        return {
          channel,
          posts: Number(count ?? 0),
          lastPublishedMs: score === undefined ? null : Number(score),
        };
      });
    },
  };
}
