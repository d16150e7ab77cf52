import type { Logger } from 'pino';
import { EMPTY_EPOCH, type ChannelLog, type LogEvent } from '../../shared/channel-log.js';
import type { StoredPost } from '../../shared/protocol.js';

/**
 * Each server node's in-memory copy of the channels its clients watch: the recent list (a
 * mirror of the Redis sorted set, kept by applying the same events in the same order) and
 * the last events. It is what makes delivery exactly-once: a subscribe reads the state and
 * joins the room in one synchronous step, so every later event is one it has not seen and
 * none in between is lost. It also spares Redis: resubscribes are served from memory.
 */
export interface ChannelState {
  readonly channel: string;
  epoch: string;
  seq: number;
  /** Newest first, ordered like ZREVRANGE (publishedAt, then id), at most RECENT_LIMIT. */
  posts: StoredPost[];
  /** The last events, contiguous, ending at `seq`. */
  events: LogEvent[];
}

export type ApplyResult = 'applied' | 'duplicate' | 'gap' | 'untracked';

export interface ChannelCache {
  /** The channel's state, loaded from Redis once however many callers ask at the same time. */
  acquire(channel: string): Promise<ChannelState>;
  /** The loaded state, if any (no I/O). */
  peek(channel: string): ChannelState | undefined;
  /** Applies a fan-out event in order; a gap or a new epoch reloads the channel. */
  apply(event: LogEvent): ApplyResult;
  /** Events after `sinceSeq` from memory, or null when memory no longer reaches back that far. */
  eventsSince(state: ChannelState, sinceSeq: number): LogEvent[] | null;
  /** Stops tracking a channel nobody on this node watches (not while it loads for a subscriber). */
  drop(channel: string): void;
}

export interface ChannelCacheOptions {
  channelLog: ChannelLog;
  recentLimit: number;
  logger: Logger;
  /** Events kept in memory per channel for replays; older ones are read from Redis. */
  eventsKept?: number;
}

interface Entry {
  state?: ChannelState;
  loading?: Promise<ChannelState>;
  /** Events that arrived while loading, applied once the snapshot is in. */
  pending: LogEvent[];
}

/** ZREVRANGE order: higher score first, then higher member (byte order) first. */
function newerFirst(a: StoredPost, b: StoredPost): number {
  const byTime = Date.parse(b.publishedAt) - Date.parse(a.publishedAt);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function applyToPosts(posts: StoredPost[], event: LogEvent, limit: number): StoredPost[] {
  const others = posts.filter((p) => p.id !== event.id);
  if (event.type === 'post:removed' || !event.post) return others;
  const post = event.post;
  const at = others.findIndex((p) => newerFirst(post, p) < 0);
  others.splice(at === -1 ? others.length : at, 0, post);
  return others.length > limit ? others.slice(0, limit) : others;
}

export function createChannelCache({
  channelLog,
  recentLimit,
  logger,
  eventsKept = 256,
}: ChannelCacheOptions): ChannelCache {
  const entries = new Map<string, Entry>();

  function advance(state: ChannelState, event: LogEvent): void {
    state.posts = applyToPosts(state.posts, event, recentLimit);
    state.events.push(event);
    if (state.events.length > eventsKept) state.events.splice(0, state.events.length - eventsKept);
    state.seq = event.seq;
  }

  function load(channel: string, entry: Entry): Promise<ChannelState> {
    entry.pending = [];
    const loading = channelLog.snapshot(channel, recentLimit).then(
      (snapshot) => {
        const state: ChannelState = { channel, ...snapshot, events: [] };
        const pending = entry.pending;
        entry.pending = [];
        entry.state = state;
        entry.loading = undefined;
        for (const event of pending) {
          if (state.epoch === EMPTY_EPOCH && state.seq === 0 && event.seq === 1)
            state.epoch = event.epoch;
          if (event.epoch === state.epoch && event.seq === state.seq + 1) advance(state, event);
        }
        return state;
      },
      (err: unknown) => {
        // A stale state stays, so its next event (a gap again) retries the reload.
        entry.loading = undefined;
        if (!entry.state && entries.get(channel) === entry) entries.delete(channel);
        throw err;
      },
    );
    entry.loading = loading;
    return loading;
  }

  return {
    acquire(channel) {
      const entry = entries.get(channel);
      if (entry?.loading) return entry.loading;
      if (entry?.state) return Promise.resolve(entry.state);
      const fresh: Entry = { pending: [] };
      entries.set(channel, fresh);
      return load(channel, fresh);
    },

    peek(channel) {
      const entry = entries.get(channel);
      return entry?.loading ? undefined : entry?.state;
    },

    apply(event) {
      const entry = entries.get(event.channel);
      if (!entry) return 'untracked';
      if (entry.loading) {
        entry.pending.push(event);
        return 'applied';
      }
      const state = entry.state;
      if (!state) return 'untracked';
      // A channel without history (`0-0`) gets its epoch with its first event.
      if (state.epoch === EMPTY_EPOCH && state.seq === 0 && event.seq === 1)
        state.epoch = event.epoch;
      if (event.epoch === state.epoch && event.seq <= state.seq) return 'duplicate';
      if (event.epoch === state.epoch && event.seq === state.seq + 1) {
        advance(state, event);
        return 'applied';
      }
      logger.warn(
        {
          event: 'channel.reload',
          channel: event.channel,
          have: state.seq,
          got: event.seq,
          epochChanged: event.epoch !== state.epoch,
        },
        'channel history moved on without us; reloading it',
      );
      load(event.channel, entry).catch((err: unknown) => {
        logger.warn(
          { event: 'channel.reload_failed', channel: event.channel, err },
          'reloading a channel failed',
        );
      });
      return 'gap';
    },

    eventsSince(state, sinceSeq) {
      if (sinceSeq === state.seq) return [];
      const first = state.events[0];
      if (!first || first.seq > sinceSeq + 1) return null;
      return state.events.slice(sinceSeq + 1 - first.seq);
    },

    drop(channel) {
      if (!entries.get(channel)?.loading) entries.delete(channel);
    },
  };
}
