import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { EMPTY_EPOCH } from '../contract/cursor.js';
import type { Keys } from './keys.js';
import { defineScript } from '../infra/lua.js';
import type { PostEventType, StoredPost } from '../contract/protocol.js';

/**
 * The per-channel ordered log: the single source of truth for live delivery and recovery.
 *
 * Every change to a post is one Lua script that, atomically, writes the post, updates each
 * channel's recent list, takes the channel's next `seq`, appends the event to the channel's
 * stream under the id `<seq>-0` (so a replay after a cursor is one exact XRANGE) and copies
 * it to the global fan-out stream that every server node tails. Nothing is pushed that is
 * not in Redis first.
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

// Shared by upsert and remove: per channel KEYS recent, seq, epoch, log (4 each, from KEYS[4]).
const APPEND_EVENT_LUA = `
local function append(k, ch, etype, id, body, historyLimit, epochCandidate, eventsMax, nowMs, acceptedMs)
  redis.call('SET', KEYS[k + 2], epochCandidate, 'NX')
  local epoch = redis.call('GET', KEYS[k + 2])
  local seq = redis.call('INCR', KEYS[k + 1])
  local sid = seq .. '-0'
  if body then
    redis.call('XADD', KEYS[k + 3], 'MAXLEN', historyLimit, sid, 't', etype, 'i', id, 'p', body)
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', eventsMax, '*', 'c', ch, 's', seq, 'e', epoch, 't', etype, 'i', id, 'a', acceptedMs, 'p', body)
  else
    redis.call('XADD', KEYS[k + 3], 'MAXLEN', historyLimit, sid, 't', etype, 'i', id)
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', eventsMax, '*', 'c', ch, 's', seq, 'e', epoch, 't', etype, 'i', id, 'a', acceptedMs)
  end
  redis.call('ZADD', KEYS[3], nowMs, ch)
  return {ch, seq, epoch, etype}
end
`;

/**
 * KEYS: post, events, channels, then recent/seq/epoch/log per channel.
 * ARGV: expectedHash, newHash, acceptedAt, postJson, publishedAtMs, channelsCsv, recentLimit,
 *       historyLimit, epochCandidate, eventsMax, nowMs, id, then (channel, type) per channel.
 * Returns {'applied', trimmedIds, event rows…} or {status}: the ids trimmed from a recent list
 * are for {@link ChannelLog.prune}, which deletes those no list holds any more.
 */
const upsertScript = defineScript(`${APPEND_EVENT_LUA}
local stored = redis.call('HMGET', KEYS[1], 'hash', 'acceptedAt')
local storedHash = stored[1] or ''
if storedHash == ARGV[2] then return {'unchanged'} end
if storedHash ~= ARGV[1] then return {'conflict'} end
if stored[2] and tonumber(stored[2]) > tonumber(ARGV[3]) then return {'stale'} end
local n = (#ARGV - 12) / 2
local limit = tonumber(ARGV[7])
-- A new post older than every full list it would enter would be trimmed at once: store nothing,
-- or a feed would bring back, at every poll, each old item that trimming deleted.
if storedHash == '' then
  local fits = false
  for i = 0, n - 1 do
    local k = 4 + i * 4
    local lowest = redis.call('ZRANGE', KEYS[k], 0, 0, 'WITHSCORES')
    if redis.call('ZCARD', KEYS[k]) < limit or tonumber(ARGV[5]) > tonumber(lowest[2]) then
      fits = true
      break
    end
  end
  if not fits then return {'expired'} end
end
redis.call('HSET', KEYS[1], 'data', ARGV[4], 'hash', ARGV[2], 'acceptedAt', ARGV[3], 'channels', ARGV[6])
redis.call('HDEL', KEYS[1], 'removedAt')
redis.call('PERSIST', KEYS[1])
local trimmed = {}
local out = {'applied', trimmed}
for i = 0, n - 1 do
  local k = 4 + i * 4
  local ch, etype = ARGV[13 + i * 2], ARGV[14 + i * 2]
  if etype == 'post:removed' then
    redis.call('ZREM', KEYS[k], ARGV[12])
    table.insert(out, append(k, ch, etype, ARGV[12], false, ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[3]))
  else
    redis.call('ZADD', KEYS[k], ARGV[5], ARGV[12])
    local over = redis.call('ZCARD', KEYS[k]) - limit
    if over > 0 then
      for _, old in ipairs(redis.call('ZRANGE', KEYS[k], 0, over - 1)) do table.insert(trimmed, old) end
      redis.call('ZREMRANGEBYRANK', KEYS[k], 0, over - 1)
    end
    table.insert(out, append(k, ch, etype, ARGV[12], ARGV[4], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[3]))
  end
end
return out
`);

/**
 * Deletes a post that no recent list holds any more: a post lives while some channel shows it.
 * KEYS: post, then the recent list of each channel it is in. ARGV: its channels as stored, id.
 */
const pruneScript = defineScript(`
local channels = redis.call('HGET', KEYS[1], 'channels')
if not channels then return 'gone' end
if channels ~= ARGV[1] then return 'conflict' end
for i = 2, #KEYS do
  if redis.call('ZSCORE', KEYS[i], ARGV[2]) then return 'kept' end
end
redis.call('DEL', KEYS[1])
return 'deleted'
`);

/**
 * KEYS: post, events, channels, then recent/seq/epoch/log per channel.
 * ARGV: expectedChannelsCsv, historyLimit, epochCandidate, eventsMax, nowMs, id, then channels.
 */
const removeScript = defineScript(`${APPEND_EVENT_LUA}
local channels = redis.call('HGET', KEYS[1], 'channels')
if not channels then return {'missing'} end
if channels ~= ARGV[1] then return {'conflict'} end
-- A tombstone instead of nothing: a feed that still lists the story must not bring it back.
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'removedAt', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ${RETRACTION_MEMORY_MS})
local out = {'removed'}
for i = 7, #ARGV do
  local k = 4 + (i - 7) * 4
  redis.call('ZREM', KEYS[k], ARGV[6])
  table.insert(out, append(k, ARGV[i], 'post:removed', ARGV[6], false, ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[5]))
end
return out
`);

/**
 * A consistent read of a channel: its epoch, its seq and its newest posts, as of one moment.
 * KEYS: recent, seq, epoch. ARGV: limit, maxScore (`+inf` or `(ms`), postKeyPrefix.
 * The post keys are built here; they share the `{feed}` hash tag, so they live in KEYS' slot.
 */
const snapshotScript = defineScript(`
local ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[2], '-inf', 'LIMIT', 0, tonumber(ARGV[1]))
local out = {redis.call('GET', KEYS[3]) or '${EMPTY_EPOCH}', redis.call('GET', KEYS[2]) or '0'}
for _, id in ipairs(ids) do
  local data = redis.call('HGET', ARGV[3] .. id, 'data')
  if data then table.insert(out, data) end
end
return out
`);

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
  snapshot(channel: string, limit: number, beforeMs?: number): Promise<ChannelSnapshot>;
  /**
   * Every event after `sinceSeq`, if the channel's epoch is still `epoch` and all of them
   * are still kept; otherwise null (the caller sends a fresh snapshot).
   */
  readSince(channel: string, epoch: string, sinceSeq: number): Promise<LogEvent[] | null>;
  /** Known channels with their post counts and newest publishedAt (ms, or null when empty). */
  channels(): Promise<{ channel: string; posts: number; lastPublishedMs: number | null }[]>;
}

export function createChannelLog(redis: Redis, keys: Keys, limits: ChannelLogLimits): ChannelLog {
  const postKeyPrefix = keys.post('');

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
      const reply = await upsertScript.run(
        redis,
        [
          keys.post(post.id),
          keys.events,
          keys.channels,
          ...changes.flatMap(([c]) => channelKeys(keys, c)),
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
      let deleted = 0;
      for (const id of new Set(ids)) {
        for (let attempt = 0; attempt < PRUNE_ATTEMPTS; attempt++) {
          const channels = await redis.hget(keys.post(id), 'channels');
          if (channels === null) break; // gone, or a tombstone
          const outcome = await pruneScript.run(
            redis,
            [keys.post(id), ...channels.split(',').map((c) => keys.recent(c))],
            [channels, id],
          );
          if (outcome === 'deleted') deleted++;
          if (outcome !== 'conflict') break;
        }
      }
      return deleted;
    },

    async remove(expected) {
      const { post } = expected;
      const reply = await removeScript.run(
        redis,
        [
          keys.post(post.id),
          keys.events,
          keys.channels,
          ...post.channels.flatMap((c) => channelKeys(keys, c)),
        ],
        [
          post.channels.join(','),
          limits.historyLimit,
          newEpoch(),
          EVENTS_STREAM_MAX,
          Date.now(),
          post.id,
          ...post.channels,
        ],
      );
      const [status, ...rows] = reply as [string, ...unknown[]];
      if (status !== 'removed') return { status: status as 'missing' | 'conflict' };
      return { status: 'removed', events: eventsFromScript(rows, post.id, () => undefined) };
    },

    async snapshot(channel, limit, beforeMs) {
      const maxScore = beforeMs === undefined ? '+inf' : `(${beforeMs}`;
      const reply = await snapshotScript.run(
        redis,
        [keys.recent(channel), keys.seq(channel), keys.epoch(channel)],
        [limit, maxScore, postKeyPrefix],
      );
      if (!isStringArray(reply)) throw new Error('unexpected snapshot reply from Redis');
      const [epoch = EMPTY_EPOCH, seq = '0', ...posts] = reply;
      return { epoch, seq: Number(seq), posts: posts.map((p) => JSON.parse(p) as StoredPost) };
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
