import type { Logger } from 'pino';
import type { ChannelLog, LogEvent } from '../../shared/domain/channel-log.js';
import { isNextAfter } from '../../shared/contract/cursor.js';
import { applyChange } from '../../shared/contract/recent-posts.js';
import type { StoredPost } from '../../shared/contract/protocol.js';

/**
 * Each server node's in-memory copy of the channels its clients watch: the recent list (a
 * mirror of the Redis sorted set, kept by applying the same events in the same order) and
 * the last events. It is what makes delivery exactly-once: a subscribe reads the state and
 * joins the room in one synchronous step, and every event is handed to `onEvent` (which
 * pushes it to the room) exactly when it is applied, in seq order. When the fan-out skips
 * events (a gap), the cache reads the missing ones from the channel's log and hands them on
 * in order, so the room's clients miss nothing. It also spares Redis: resubscribes are
 * served from memory.
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

export interface ChannelCache {
  /** The channel's state, loaded from Redis once however many callers ask at the same time. */
  acquire(channel: string): Promise<ChannelState>;
  /** The state, if loaded and not being repaired (no I/O). */
  peek(channel: string): ChannelState | undefined;
  /** Takes a fan-out event; applied events reach `onEvent` in seq order. */
  apply(event: LogEvent): void;
  /** Events after `sinceSeq` from memory, or null when memory no longer reaches back that far. */
  eventsSince(state: ChannelState, sinceSeq: number): LogEvent[] | null;
  /** Stops tracking a channel nobody on this node watches (not while it loads for a subscriber). */
  drop(channel: string): void;
  /** Each loaded channel and the post ids its readers were shown, newest first. */
  shown(): [channel: string, ids: string[]][];
}

export interface ChannelCacheOptions {
  channelLog: ChannelLog;
  recentLimit: number;
  logger: Logger;
  /** Called with each event as it is applied, in order: push it to the channel's rooms. */
  onEvent: (event: LogEvent) => void;
  /** Events kept in memory per channel for replays; older ones are read from Redis. */
  eventsKept?: number;
}

interface Entry {
  state?: ChannelState;
  /** A load or a repair in progress; subscribers wait for it. */
  loading?: Promise<ChannelState>;
  /** Events that arrived meanwhile, applied when it is done. */
  pending: LogEvent[];
}

export function createChannelCache({
  channelLog,
  recentLimit,
  logger,
  onEvent,
  eventsKept = 256,
}: ChannelCacheOptions): ChannelCache {
  const entries = new Map<string, Entry>();

  /** Applies `event` if it is the next one; returns whether it was. */
  function advance(state: ChannelState, event: LogEvent): boolean {
    if (!isNextAfter(state, event)) return false;
    state.epoch = event.epoch; // a channel's first event gives it its epoch
    state.posts = applyChange(
      state.posts,
      { id: event.id, post: event.type === 'post:removed' ? undefined : event.post },
      recentLimit,
    );
    state.events.push(event);
    if (state.events.length > eventsKept) state.events.splice(0, state.events.length - eventsKept);
    state.seq = event.seq;
    onEvent(event);
    return true;
  }

  /** Runs `work` as the entry's load; events arriving meanwhile are applied after it. */
  function guard(
    channel: string,
    entry: Entry,
    work: () => Promise<ChannelState>,
  ): Promise<ChannelState> {
    entry.pending = [];
    const loading = work().then(
      (state) => {
        entry.state = state;
        entry.loading = undefined;
        const pending = entry.pending;
        entry.pending = [];
        for (const event of pending) advance(state, event);
        return state;
      },
      (err: unknown) => {
        // A stale state stays, so its next event (a gap again) retries the repair.
        entry.loading = undefined;
        if (!entry.state && entries.get(channel) === entry) entries.delete(channel);
        throw err;
      },
    );
    entry.loading = loading;
    return loading;
  }

  const load = (channel: string, entry: Entry): Promise<ChannelState> =>
    guard(channel, entry, async () => ({
      channel,
      ...(await channelLog.snapshot(channel, recentLimit)),
      events: [],
    }));

  /**
   * A channel whose epoch changed: Redis lost its history (a Redis without its files restarted),
   * or a failover may have rolled it back (see lua/includes/append-event.lua). Its list is what a
   * snapshot says; every event of the new history goes to the room, so a client that applies
   * events sees each one, and one that resubscribes on a new epoch (SPEC §6) gets the snapshot.
   */
  const reload = (event: LogEvent, entry: Entry): Promise<ChannelState> =>
    guard(event.channel, entry, async () => {
      const snapshot = await channelLog.snapshot(event.channel, recentLimit);
      const history = await channelLog.readSince(event.channel, snapshot.epoch, 0);
      // A history trimmed already (or replaced again): the event in hand still tells the room.
      const events = (history ?? [event]).filter((e) => e.seq <= snapshot.seq);
      for (const e of events) onEvent(e);
      return { channel: event.channel, ...snapshot, events: events.slice(-eventsKept) };
    });

  /**
   * Reads the events after `from` from the channel's log and applies them in order, so the
   * room gets every one. Only when the log no longer has them all does a snapshot replace
   * the state (the room's clients then see a seq jump and resubscribe).
   */
  const fill = (channel: string, entry: Entry, from: ChannelState): Promise<ChannelState> =>
    guard(channel, entry, async () => {
      const missed = await channelLog.readSince(channel, from.epoch, from.seq);
      if (!missed) {
        return { channel, ...(await channelLog.snapshot(channel, recentLimit)), events: [] };
      }
      for (const event of missed) advance(from, event);
      return from;
    });

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
      if (!entry) return;
      if (entry.loading) {
        entry.pending.push(event);
        return;
      }
      const state = entry.state;
      if (!state || advance(state, event)) return;
      if (event.epoch === state.epoch && event.seq <= state.seq) return; // already applied
      const epochChanged = event.epoch !== state.epoch;
      logger.warn(
        {
          event: 'channel.repair',
          channel: event.channel,
          have: state.seq,
          got: event.seq,
          epochChanged,
        },
        epochChanged
          ? 'channel history was replaced; reloading it'
          : 'fan-out skipped events; reading them from the log',
      );
      if (epochChanged) {
        reload(event, entry).catch((err: unknown) => {
          logger.warn(
            { event: 'channel.repair_failed', channel: event.channel, err },
            'reloading a channel failed',
          );
        });
        return;
      }
      const repair = fill(event.channel, entry, state);
      entry.pending = [event];
      repair.catch((err: unknown) => {
        logger.warn(
          { event: 'channel.repair_failed', channel: event.channel, err },
          'repairing a channel failed',
        );
      });
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

    shown() {
      return [...entries].flatMap(([channel, { state }]) =>
        state ? [[channel, state.posts.map((post) => post.id)] as [string, string[]]] : [],
      );
    },
  };
}
