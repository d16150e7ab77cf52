import type { Logger } from 'pino';
import type { Namespace, Socket } from 'socket.io';
import { z } from 'zod';
import type { ChannelLog, LogEvent } from '../../shared/domain/channel-log.js';
import { formatCursor, inHistory, parseCursor, type Cursor } from '../../shared/contract/cursor.js';
import { presentPost } from '../../shared/contract/present.js';
import type {
  HandshakeSubscribeAnswer,
  PublicClientEvents,
  PublicServerEvents,
  ReplayedEvent,
  RequestFailed,
  SubscribeOk,
} from '../../shared/contract/protocol.js';
import { errorMessage, type ErrorCode, type MessageArgs } from '../../shared/infra/errors.js';
import type { RedisHealth } from '../../shared/infra/redis-health.js';
import { resolveLocale } from '../../shared/contract/relative-time.js';
import { channelField } from '../validation.js';
import { createChannelCache, type ChannelCache, type ChannelState } from './channel-cache.js';
import { EncodedAnswer } from './encoded-acks.js';
import {
  createRoomWriter,
  encodeEvent,
  holdWrites,
  writeEncoded,
  type Encoded,
} from './room-writer.js';
import { createSharedAnswers } from './shared-answers.js';

/**
 * What Khabar keeps on each public socket. Which channels it watches is not here: the adapter's
 * set of the socket's rooms (`ch:<channel>:<locale>`, and its own id) already says it, and a Map
 * per socket to say it again was about 180 bytes of each idle subscriber.
 */
export interface PublicSocketData {
  /** Subscribe budget (a token bucket): what is left, and when it was last refilled. */
  tokens: number;
  refilledAt: number;
  /** This socket's logger (its id on every line), made when it first logs: most never do. */
  log?: Logger;
}

/**
 * A connection may (re)subscribe to all its channels at once after a reconnect, then a few
 * per second: enough for any widget, not enough to make a node busy for one client.
 */
const SUBSCRIBE_BURST = 50;
/** How long a subscribe waits, at most, for this node to catch up with a client's cursor. */
const CATCH_UP_WAIT_MS = 50;
const MAX_SUBSCRIBE_ATTEMPTS = 40;
const SUBSCRIBES_PER_SECOND = 5;

function takeSubscribeToken(data: PublicSocketData, now: number, burst: number): boolean {
  const refill = ((now - data.refilledAt) / 1000) * SUBSCRIBES_PER_SECOND;
  data.tokens = Math.min(burst, data.tokens + refill);
  data.refilledAt = now;
  if (data.tokens < 1) return false;
  data.tokens -= 1;
  return true;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- no server-to-server events
export type NoServerEvents = {};
export type PublicNamespace = Namespace<
  PublicClientEvents,
  PublicServerEvents,
  NoServerEvents,
  PublicSocketData
>;
type PublicSocket = Socket<
  PublicClientEvents,
  PublicServerEvents,
  NoServerEvents,
  PublicSocketData
>;

export interface PublicNamespaceDeps {
  nsp: PublicNamespace;
  channelLog: ChannelLog;
  /** RECENT_LIMIT, and how many events each channel keeps in memory for replays. */
  recentLimit: number;
  eventsKept: number;
  defaultLocale: string;
  logger: Logger;
  /** Where a subscribe that failed for want of Redis goes, instead of a warning per socket. */
  health: RedisHealth;
  now?: () => number;
  maxChannelsPerSocket?: number;
  /** How many subscribes a new connection may make at once before the per-second budget applies. */
  subscribeBurst?: number;
  /** Told of each event pushed and how many sockets it reached (metrics). */
  onPushed?: (event: LogEvent, sockets: number) => void;
  /** How long a channel nobody watches stays cached, so a reconnect wave finds it warm. */
  idleChannelMs?: number;
  /** Told of each connection a write was held back for (the slow-consumer guard). */
  onBehind?: (connection: unknown) => void;
}

export interface PublicDelivery {
  /** Applies fan-out events to the cache and pushes them to the rooms that watch them. */
  deliver: (events: readonly LogEvent[]) => void;
  /** Viewers per channel on this node. */
  localViewers: () => Map<string, number>;
  /** Each channel this node caches and the post ids its readers were shown (failover repair). */
  shown: ChannelCache['shown'];
  /**
   * Serves a subscriber that is not a socket (a Server-Sent Events stream): the same answer as
   * a subscribe, with `attach` called in the step that reads it (see `open`).
   */
  open: (
    request: OpenRequest,
    gone: () => boolean,
    attach: () => void,
  ) => Promise<SubscribeOk | null>;
  /** Adds a consumer of every applied event, in order, served like the rooms from the cache. */
  listen: (listener: AppliedEventListener) => void;
  /** A channel lost its last subscriber outside the rooms: drop it when idle, as for a room. */
  released: (channel: string) => void;
}

export interface AppliedEventListener {
  /** An applied event; it may be held until `flush`, which follows in the same step. */
  onEvent: (event: LogEvent) => void;
  /** The end of a batch (a fan-out read), or of a lone event: write what was held. */
  flush: () => void;
  /** Whether it still has subscribers of `channel` (the cache keeps it while so). */
  watches: (channel: string) => boolean;
}

/** `subscribe`'s request; exported for the AsyncAPI description (server/http/openapi/). */
export const subscribeRequest = z.object(
  {
    channel: channelField((name) => `"${name}"`),
    limit: z
      .number({ error: 'limit must be a number from 1 to 50' })
      .int('limit must be a whole number from 1 to 50')
      .min(1, 'limit must be at least 1')
      .max(50, 'limit must be at most 50')
      .default(10),
    locale: z.string({ error: 'locale must be a language tag, such as "hi"' }).max(64).optional(),
    since: z.string({ error: 'since must be the last cursor you received' }).max(100).optional(),
  },
  {
    error: 'subscribe takes an object such as {"channel": "bihar", "since": "<your last cursor>"}',
  },
);
export const unsubscribeRequest = z.object(
  { channel: channelField((name) => `"${name}"`) },
  { error: 'unsubscribe takes an object such as {"channel": "bihar"}' },
);

interface OpenRequest {
  channel: string;
  locale: string;
  limit: number;
  since: Cursor | null;
}

/** What a subscribe read, in the step that joined it: the channel's state, and the replay. */
interface Opened {
  current: ChannelState;
  /** The events after `since`, or null for a snapshot. */
  replay: LogEvent[] | null;
}

/** Whether `since` is a position this node's copy of the channel has reached. */
function sameHistory(since: Cursor, current: ChannelState): boolean {
  return inHistory(since, current.epoch) && since.seq <= current.seq;
}

const roomOf = (channel: string, locale: string): string => `ch:${channel}:${locale}`;

/** The room `socket` watches `channel` in, if it does (a channel is a slug: no `:` in it). */
function roomOfChannel(socket: PublicSocket, channel: string): string | undefined {
  const prefix = `ch:${channel}:`;
  for (const room of socket.rooms) if (room.startsWith(prefix)) return room;
  return undefined;
}

/** How many channels `socket` watches: its rooms, less the one of its own id if it is in it. */
const channelsOf = (socket: PublicSocket): number =>
  socket.rooms.size - (socket.rooms.has(socket.id) ? 1 : 0);
/** Room names of this namespace are `ch:<channel>:<locale>`; others (socket ids) are not ours. */
function parseRoom(room: string): { channel: string; locale: string } | null {
  const parts = room.split(':');
  return parts.length === 3 && parts[0] === 'ch'
    ? { channel: parts[1] as string, locale: parts[2] as string }
    : null;
}

/** An event as a subscriber gets it: the live payload (its `type` aside), labels in `locale`. */
export function toReplayed(event: LogEvent, at: number, locale: string): ReplayedEvent {
  const head = {
    channel: event.channel,
    seq: event.seq,
    cursor: formatCursor(event.epoch, event.seq),
  };
  if (event.type === 'post:removed' || !event.post)
    return { type: 'post:removed', ...head, id: event.id };
  return { type: event.type, ...head, post: presentPost(event.post, at, locale) };
}

/** A `{ok: false}` answer from the registry of errors (no Error built: nothing is thrown). */
function failed<C extends ErrorCode>(error: C, ...params: MessageArgs<C>): RequestFailed {
  return { ok: false, error, message: errorMessage(error, ...params) };
}

export function attachPublicNamespace({
  nsp,
  channelLog,
  recentLimit,
  eventsKept,
  defaultLocale,
  logger,
  health,
  now = Date.now,
  maxChannelsPerSocket = 50,
  subscribeBurst = SUBSCRIBE_BURST,
  idleChannelMs = 30_000,
  onBehind,
  onPushed,
}: PublicNamespaceDeps): PublicDelivery {
  /** channel → locale → room, for the rooms that exist on this node. */
  const roomsByChannel = new Map<string, Map<string, string>>();
  const writer = createRoomWriter(nsp, onBehind);
  /** Identical subscribes' answers, encoded once: as handshake events, and as acks. */
  const handshakeAnswers = createSharedAnswers<Encoded>();
  const ackAnswers = createSharedAnswers<EncodedAnswer>();
  const listeners: AppliedEventListener[] = [];
  const watched = (channel: string): boolean =>
    roomsByChannel.has(channel) || listeners.some((l) => l.watches(channel));
  function dropWhenIdle(channel: string): void {
    setTimeout(() => {
      if (!watched(channel)) cache.drop(channel);
    }, idleChannelMs).unref();
  }
  const cache: ChannelCache = createChannelCache({
    channelLog,
    recentLimit,
    eventsKept,
    logger,
    onEvent: (event) => {
      emit(event);
    },
  });

  nsp.adapter.on('delete-room', (room: string) => {
    const parsed = parseRoom(room);
    if (!parsed) return;
    const rooms = roomsByChannel.get(parsed.channel);
    rooms?.delete(parsed.locale);
    if (rooms?.size !== 0) return;
    roomsByChannel.delete(parsed.channel);
    dropWhenIdle(parsed.channel);
  });

  function join(socket: PublicSocket, channel: string, locale: string): void {
    let rooms = roomsByChannel.get(channel);
    if (!rooms) roomsByChannel.set(channel, (rooms = new Map<string, string>()));
    // One string per room, shared by every socket in it (10k subscribers, one name).
    let room = rooms.get(locale);
    if (room === undefined) rooms.set(locale, (room = roomOf(channel, locale)));
    const previous = roomOfChannel(socket, channel);
    if (previous === room) return;
    if (previous) void socket.leave(previous);
    void socket.join(room);
  }

  /** The events a client resuming at `since` needs, or null when it must take a snapshot. */
  function replayFor(
    current: ChannelState,
    since: Cursor,
    older: LogEvent[] | null,
  ): LogEvent[] | null {
    if (!sameHistory(since, current)) return null;
    const fromMemory = cache.eventsSince(current, since.seq);
    if (fromMemory) return fromMemory;
    if (!older) return null;
    const readUpTo = since.seq + older.length;
    // Redis may be ahead of this node's fan-out: the room will deliver those live.
    if (readUpTo >= current.seq) return older.slice(0, current.seq - since.seq);
    const rest = cache.eventsSince(current, readUpTo);
    return rest ? [...older, ...rest] : null;
  }

  /**
   * Answers a subscriber (a socket, or a Server-Sent Events stream) from this node's cache:
   * a replay after `since`, or a snapshot. `attach` joins it to the channel's delivery in the
   * same synchronous step as the state is read, so it gets exactly the events after the answer.
   * Null when the channel could not be read in time, or the subscriber left (`gone`).
   */
  async function openState(
    request: OpenRequest,
    gone: () => boolean,
    attach: () => void,
  ): Promise<Opened | null> {
    const { channel, since } = request;
    for (let attempt = 0; attempt < MAX_SUBSCRIBE_ATTEMPTS; attempt++) {
      await cache.acquire(channel);
      let current = cache.peek(channel);
      const behind = current && since?.epoch === current.epoch && since.seq > current.seq;
      if (behind && attempt < MAX_SUBSCRIBE_ATTEMPTS - 1) {
        // The client saw newer events on another node; this one's fan-out is a moment behind.
        // (A cursor from the future, after the last attempt, gets a fresh snapshot.)
        await new Promise((resolve) => setTimeout(resolve, CATCH_UP_WAIT_MS));
        continue;
      }
      let older: LogEvent[] | null = null;
      if (
        current &&
        since &&
        sameHistory(since, current) &&
        !cache.eventsSince(current, since.seq)
      ) {
        older = await channelLog.readSince(channel, current.epoch, since.seq);
        current = cache.peek(channel);
      }
      if (!current || gone()) continue;
      // From here to the return nothing awaits: the answer reflects exactly the events
      // before the join, and the room delivers exactly the ones after it.
      const replay = since ? replayFor(current, since, older) : null;
      attach();
      return { current, replay };
    }
    return null;
  }

  /** The answer to `request` for what `openState` read, labelled at `at`. */
  function answerOf(request: OpenRequest, { current, replay }: Opened, at: number): SubscribeOk {
    const { channel, locale, limit } = request;
    const head = {
      ok: true as const,
      channel,
      serverTime: new Date(at).toISOString(),
      cursor: formatCursor(current.epoch, current.seq),
    };
    return replay
      ? { ...head, recovered: true, events: replay.map((e) => toReplayed(e, at, locale)) }
      : {
          ...head,
          recovered: false,
          posts: current.posts.slice(0, limit).map((p) => presentPost(p, at, locale)),
        };
  }

  async function open(
    request: OpenRequest,
    gone: () => boolean,
    attach: () => void,
  ): Promise<SubscribeOk | null> {
    const opened = await openState(request, gone, attach);
    return opened && answerOf(request, opened, now());
  }

  /** A subscribe request checked against the socket's budget and limits, or why it is refused. */
  function admit(socket: PublicSocket, raw: unknown): OpenRequest | RequestFailed {
    const parsed = subscribeRequest.safeParse(raw);
    if (!parsed.success)
      return failed('invalid_request', { problem: parsed.error.issues[0]?.message });
    const { channel, limit } = parsed.data;
    if (!takeSubscribeToken(socket.data, now(), subscribeBurst)) {
      return failed('rate_limited', { limit: 'subscribe', perSecond: SUBSCRIBES_PER_SECOND });
    }
    if (
      channelsOf(socket) >= maxChannelsPerSocket &&
      roomOfChannel(socket, channel) === undefined
    ) {
      return failed('too_many_channels', { max: maxChannelsPerSocket });
    }
    const locale = resolveLocale(parsed.data.locale, defaultLocale);
    return { channel, locale, limit, since: parseCursor(parsed.data.since) };
  }

  const joining =
    (socket: PublicSocket, { channel, locale }: OpenRequest) =>
    (): void => {
      join(socket, channel, locale);
    };

  /** What makes two subscribes to one channel position get the same answer. */
  const answerKey = ({ locale, limit, since }: OpenRequest): string =>
    `${locale}\n${limit}\n${since ? formatCursor(since.epoch, since.seq) : ''}`;

  /** A `subscribe` event's answer (its ack), which identical requests share (encoded-acks.ts). */
  async function subscribe(
    socket: PublicSocket,
    raw: unknown,
  ): Promise<EncodedAnswer | RequestFailed> {
    const request = admit(socket, raw);
    if ('ok' in request) return request;
    const opened = await openState(request, () => socket.disconnected, joining(socket, request));
    if (!opened) return failed('unavailable', { what: 'channel' });
    const at = now();
    return ackAnswers.get(
      opened.current,
      answerKey(request),
      at,
      () => new EncodedAnswer(JSON.stringify(answerOf(request, opened, at))),
    );
  }

  /**
   * A subscribe from the handshake (`PublicAuth`): answered with a `subscribed` event, which
   * identical requests share (see shared-answers.ts), written as the room writer writes events.
   */
  async function subscribeFromHandshake(socket: PublicSocket, raw: unknown): Promise<void> {
    const request = admit(socket, raw);
    if ('ok' in request) {
      tell(socket, request, raw);
      return;
    }
    const opened = await openState(request, () => socket.disconnected, joining(socket, request));
    if (!opened) {
      tell(socket, failed('unavailable', { what: 'channel' }), raw);
      return;
    }
    const at = now();
    const encoded = handshakeAnswers.get(opened.current, answerKey(request), at, () =>
      encodeEvent(nsp, 'subscribed', answerOf(request, opened, at)),
    );
    if (!writeEncoded(socket.conn, [encoded])) onBehind?.(socket.conn);
  }

  /** Answers a handshake subscribe that failed, naming its channel when `raw` has a valid one. */
  function tell(socket: PublicSocket, failure: RequestFailed, raw: unknown): void {
    const channel = subscribeRequest.shape.channel.safeParse(
      (raw as { channel?: unknown } | null)?.channel,
    );
    const answer: HandshakeSubscribeAnswer = channel.success
      ? { ...failure, channel: channel.data }
      : failure;
    socket.emit('subscribed', answer);
  }

  function socketLog(socket: PublicSocket): Logger {
    return (socket.data.log ??= logger.child({ socketId: socket.id }));
  }

  // One set of handlers for every socket (Socket.IO calls them with the socket as `this`):
  // at 10k idle subscribers, per-socket closures are a measurable share of the memory.
  function onSubscribe(this: PublicSocket, request: unknown, ack: unknown): void {
    if (typeof ack !== 'function') return;
    // Socket.IO's ack, whose encoder (encoded-acks.ts) writes an EncodedAnswer as it is.
    const answer = ack as (answer: EncodedAnswer | RequestFailed) => void;
    subscribe(this, request).then(answer, (err: unknown) => {
      if (!health.absorb('socket', err))
        socketLog(this).warn({ event: 'socket.subscribe_failed', err }, 'subscribe failed');
      answer(failed('unavailable', { what: 'storage' }));
    });
  }

  function onUnsubscribe(this: PublicSocket, request: unknown, ack: unknown): void {
    if (typeof ack !== 'function') return;
    const answer = ack as (answer: { ok: true } | RequestFailed) => void;
    const parsed = unsubscribeRequest.safeParse(request);
    if (!parsed.success) {
      answer(failed('invalid_request', { problem: parsed.error.issues[0]?.message }));
      return;
    }
    const room = roomOfChannel(this, parsed.data.channel);
    if (room) void this.leave(room);
    answer({ ok: true });
  }

  function onDisconnect(this: PublicSocket, reason: string): void {
    socketLog(this).debug({ event: 'socket.disconnected', reason }, 'socket disconnected');
  }

  /**
   * The handshake's subscribes, from the middleware (which sees `auth`) to the connection, and
   * the hold on the connection's writes that sends its CONNECT and their answers together.
   */
  const handshakeSubscribes = new WeakMap<
    PublicSocket,
    { requests: unknown[]; release: () => void }
  >();
  nsp.use((socket, next) => {
    const requests = (socket.handshake.auth as { subscribe?: unknown }).subscribe;
    if (requests === undefined) {
      next();
    } else if (Array.isArray(requests) && requests.length <= maxChannelsPerSocket) {
      // Socket.IO writes the CONNECT on the next tick, before the connection handler runs.
      handshakeSubscribes.set(socket, { requests, release: holdWrites(socket.conn) });
      next();
    } else {
      // As the newsroom refuses a handshake: the code as the message, the sentence in `data`.
      const err = new Error('invalid_request' satisfies ErrorCode) as Error & { data?: unknown };
      err.data = {
        message: errorMessage('invalid_request', {
          problem: `auth.subscribe must be a list of at most ${maxChannelsPerSocket} subscribe requests, such as [{"channel": "bihar", "since": "<your last cursor>"}]`,
        }),
      };
      next(err);
    }
  });

  nsp.on('connection', (socket: PublicSocket) => {
    socket.data.tokens = subscribeBurst;
    socket.data.refilledAt = now();
    if (logger.isLevelEnabled('debug')) {
      socketLog(socket).debug(
        { event: 'socket.connected', transport: socket.conn.transport.name },
        'socket connected',
      );
      socket.on('disconnect', onDisconnect);
    }
    socket.on('subscribe', onSubscribe);
    socket.on('unsubscribe', onUnsubscribe);
    const handshake = handshakeSubscribes.get(socket);
    if (!handshake) return;
    handshakeSubscribes.delete(socket);
    const answering = handshake.requests.map((request) =>
      subscribeFromHandshake(socket, request).catch((err: unknown) => {
        if (!health.absorb('socket', err))
          socketLog(socket).warn({ event: 'socket.subscribe_failed', err }, 'subscribe failed');
        tell(socket, failed('unavailable', { what: 'storage' }), request);
      }),
    );
    void Promise.all(answering).then(handshake.release);
  });

  /** Whether a fan-out read is being applied: listeners flush once, when it ends. */
  let batching = false;
  function emit(event: LogEvent): void {
    for (const listener of listeners) {
      listener.onEvent(event);
      if (!batching) listener.flush();
    }
    const rooms = roomsByChannel.get(event.channel);
    if (!rooms || rooms.size === 0) return;
    if (onPushed) {
      let sockets = 0;
      for (const room of rooms.values()) sockets += nsp.adapter.rooms.get(room)?.size ?? 0;
      onPushed(event, sockets);
    }
    const head = {
      channel: event.channel,
      seq: event.seq,
      cursor: formatCursor(event.epoch, event.seq),
    };
    if (event.type === 'post:removed' || !event.post) {
      writer.emit(rooms.values(), 'post:removed', { ...head, id: event.id });
      return;
    }
    // One encode per room (channel × locale): the label is the only per-locale part.
    const at = now();
    for (const [locale, room] of rooms) {
      writer.emit([room], event.type, { ...head, post: presentPost(event.post, at, locale) });
    }
  }

  return {
    shown: () => cache.shown(),
    open,
    listen(listener) {
      listeners.push(listener);
    },
    released: dropWhenIdle,
    deliver(events) {
      // A batch's events for one room leave together: one write per socket.
      batching = true;
      try {
        writer.batch(() => {
          for (const event of events) cache.apply(event);
        });
      } finally {
        batching = false;
        for (const listener of listeners) listener.flush();
      }
    },
    localViewers() {
      const viewers = new Map<string, number>();
      for (const [channel, rooms] of roomsByChannel) {
        let count = 0;
        for (const room of rooms.values()) count += nsp.adapter.rooms.get(room)?.size ?? 0;
        viewers.set(channel, count);
      }
      return viewers;
    },
  };
}
