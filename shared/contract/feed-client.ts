import { isNextAfter, parseCursor, type Cursor } from './cursor.js';
import { applyChange, changeOf, newerFirst } from './recent-posts.js';
import type {
  HandshakeSubscribeAnswer,
  Post,
  PostEvent,
  RemovedEvent,
  ReplayedEvent,
  SubscribeAnswer,
  SubscribeRequest,
  UnsubscribeAnswer,
} from './protocol.js';

/**
 * Keeps a live, gap-free "recent posts" list per channel on top of one Socket.IO connection
 * (SPEC §6). Browser- and Node-safe: it only needs a socket, timers and `Date`.
 */

/** What socket.io-client sends in a handshake: an object, or a function that makes one. */
export type HandshakeAuth = Record<string, unknown> | ((cb: (data: object) => void) => void);

/** The part of a socket.io-client `Socket` the helper uses (so tests can wrap a real socket). */
export interface FeedSocket {
  readonly connected: boolean;
  /** Only used with `subscribeInHandshake`. */
  auth?: HandshakeAuth;
  on(event: 'connect' | 'disconnect', listener: () => void): unknown;
  on(event: 'post:new' | 'post:updated', listener: (event: PostEvent) => void): unknown;
  on(event: 'post:removed', listener: (event: RemovedEvent) => void): unknown;
  on(event: 'subscribed', listener: (answer: HandshakeSubscribeAnswer) => void): unknown;
  off(event: 'connect' | 'disconnect', listener: () => void): unknown;
  off(event: 'post:new' | 'post:updated', listener: (event: PostEvent) => void): unknown;
  off(event: 'post:removed', listener: (event: RemovedEvent) => void): unknown;
  off(event: 'subscribed', listener: (answer: HandshakeSubscribeAnswer) => void): unknown;
  timeout(ms: number): FeedAckEmitter;
}

/** The server takes at most this many subscribes in a handshake (its channels per socket). */
const MAX_HANDSHAKE_SUBSCRIBES = 50;

/** What `socket.timeout(ms)` returns: emits that reject when no answer comes in time. */
export interface FeedAckEmitter {
  emitWithAck(event: 'subscribe', request: SubscribeRequest): Promise<SubscribeAnswer>;
  emitWithAck(event: 'unsubscribe', request: { channel: string }): Promise<UnsubscribeAnswer>;
}

export interface FeedClientOptions {
  /** The caller owns it: the client never connects or disconnects it. */
  socket: FeedSocket;
  /** Language of the `ago` labels; the server's default when absent. */
  locale?: string;
  /**
   * Cursors to resume from, e.g. restored from sessionStorage. A cursor the server still
   * knows is answered with only the events after it, so restore it only together with the
   * posts it belongs to; an unknown one costs nothing (a fresh snapshot).
   */
  cursors?: Record<string, string>;
  /** How long to wait for a `subscribe` answer before retrying; default 5000. */
  ackTimeoutMs?: number;
  /**
   * Sends the subscribes in the socket's handshake (`PublicAuth`), so that a reconnect costs
   * one round trip instead of two: the client sets `socket.auth` to a function and restores it
   * on `close()`. A server that does not answer them in `ackTimeoutMs` is asked again by emit.
   */
  subscribeInHandshake?: boolean;
}

export interface ChannelView {
  /** Newest first, at most the watched `limit`. */
  posts: Post[];
  cursor?: string;
  /** `serverTime − Date.now()` at the last answer, to render times in the server's clock. */
  serverTimeOffsetMs: number;
}

export type FeedListener = (posts: Post[], channel: string) => void;

export interface FeedClient {
  /**
   * Starts watching (idempotent per channel); `limit` 1–50, default 10, fixed by the first
   * watch of a channel. Returns a function that stops watching.
   */
  watch(channel: string, listener: FeedListener, options?: { limit?: number }): () => void;
  /** The channel's current view, or undefined before its first answer. */
  view(channel: string): ChannelView | undefined;
  /** Last cursor per watched channel (for sessionStorage). */
  cursors(): Record<string, string>;
  /** `resubscribes` counts every subscribe after a channel's first (gap, reconnect, retry). */
  readonly stats: { resubscribes: number; gapsDetected: number; duplicatesDropped: number };
  /** Removes every socket listener and timer it added; leaves the socket connected. */
  close(): void;
}

interface Channel {
  readonly name: string;
  readonly limit: number;
  /** One entry per watch call, so the same function may watch twice and stop once. */
  readonly listeners: Set<{ listener: FeedListener }>;
  posts: Post[];
  cursor?: Cursor;
  cursorText?: string;
  serverTimeOffsetMs: number;
  answered: boolean;
  subscribes: number;
  /** Numbers subscribe requests: an answer to any but the latest is ignored. */
  attempt: number;
  /** The attempt that went out in the latest handshake, answered by a `subscribed` event. */
  handshakeAttempt?: number;
  /** Live events held while not in sync (a subscribe in flight or due); null when in sync. */
  buffer: ReplayedEvent[] | null;
  failures: number;
  retryTimer?: ReturnType<typeof setTimeout>;
}

const samePosts = (a: Post[], b: Post[]): boolean =>
  a.length === b.length && a.every((post, i) => post === b[i]);

/** Creates a client for one socket; create one per socket, as it owns the socket's rooms. */
export function createFeedClient(options: FeedClientOptions): FeedClient {
  const { socket, locale, ackTimeoutMs = 5000 } = options;
  const restored = options.cursors ?? {};
  const channels = new Map<string, Channel>();
  const stats = { resubscribes: 0, gapsDetected: 0, duplicatesDropped: 0 };
  let closed = false;

  // A socket listener that throws would break the emitter for everyone sharing the socket.
  function guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args) => {
      try {
        fn(...args);
      } catch (err) {
        console.error('khabar feed client:', err);
      }
    };
  }

  function notify(ch: Channel, only?: FeedListener): void {
    for (const { listener } of [...ch.listeners]) {
      if (only && listener !== only) continue;
      guard(listener)([...ch.posts], ch.name);
    }
  }

  function apply(ch: Channel, event: ReplayedEvent, at: Cursor): void {
    ch.posts = applyChange(ch.posts, changeOf(event), ch.limit);
    ch.cursor = at;
    ch.cursorText = event.cursor;
  }

  /** Starts a new attempt for `ch`: answers to earlier ones are ignored from now on. */
  function nextAttempt(ch: Channel): number {
    clearTimeout(ch.retryTimer);
    ch.retryTimer = undefined;
    // Events received before this request are in its answer: the room delivers only later ones.
    ch.buffer = [];
    return ++ch.attempt;
  }

  function requestFor(ch: Channel): SubscribeRequest {
    if (ch.subscribes++ > 0) stats.resubscribes++;
    const request: SubscribeRequest = { channel: ch.name, limit: ch.limit };
    if (locale !== undefined) request.locale = locale;
    if (ch.cursorText !== undefined) request.since = ch.cursorText;
    return request;
  }

  function subscribe(ch: Channel): void {
    const attempt = nextAttempt(ch);
    if (closed || !socket.connected) return; // the next `connect` subscribes
    const request = requestFor(ch);
    void socket
      .timeout(ackTimeoutMs)
      .emitWithAck('subscribe', request)
      .then(
        (answer) => {
          guard(onAnswer)(ch, attempt, answer);
        },
        () => {
          guard(onAnswer)(ch, attempt, null); // timed out, or the connection dropped
        },
      );
  }

  function unsubscribe(channel: string): void {
    if (!socket.connected) return;
    socket
      .timeout(ackTimeoutMs)
      .emitWithAck('unsubscribe', { channel })
      .catch(() => undefined); // a lost unsubscribe only costs unwanted pushes, which we ignore
  }

  function onAnswer(ch: Channel, attempt: number, answer: SubscribeAnswer | null): void {
    if (channels.get(ch.name) !== ch) {
      // Unwatched while in flight: the server may have joined us after our unsubscribe.
      if (answer?.ok && !channels.has(ch.name)) unsubscribe(ch.name);
      return;
    }
    if (closed || attempt !== ch.attempt) return;
    const at = answer?.ok ? parseCursor(answer.cursor) : null;
    if (!answer?.ok || !at) {
      if (!socket.connected) return; // the next `connect` subscribes
      // 1 s, 2 s, 4 s … up to 10 s, jittered so a server restart is not hit in lockstep.
      const backoff = 1000 * 2 ** Math.min(ch.failures++, 4) * (0.75 + Math.random() / 2);
      ch.retryTimer = setTimeout(
        () => {
          subscribe(ch);
        },
        Math.min(10_000, backoff),
      );
      return;
    }
    ch.failures = 0;
    const before = ch.posts;
    if (answer.recovered) {
      for (const event of answer.events ?? []) {
        const eventAt = parseCursor(event.cursor);
        if (eventAt && !isCovered(ch.cursor, eventAt)) apply(ch, event, eventAt);
      }
    } else {
      ch.posts = [...(answer.posts ?? [])].sort(newerFirst).slice(0, ch.limit);
    }
    ch.cursor = at;
    ch.cursorText = answer.cursor;
    ch.serverTimeOffsetMs = Date.parse(answer.serverTime) - Date.now();
    const first = !ch.answered;
    ch.answered = true;
    const buffered = ch.buffer ?? [];
    ch.buffer = null;
    for (const event of buffered) {
      const eventAt = parseCursor(event.cursor);
      // Those the answer already covers are not duplicates of anything we applied live.
      if (eventAt && !isCovered(at, eventAt)) receive(ch, event, eventAt);
    }
    // One call for the answer and what was held back: listeners see whole states only.
    if (first || !samePosts(before, ch.posts)) notify(ch);
  }

  /** Whether `at` is at or before `cursor` in the same history. */
  function isCovered(cursor: Cursor | undefined, at: Cursor): boolean {
    return cursor?.epoch === at.epoch && at.seq <= cursor.seq;
  }

  /** Applies one live event if it is the next one (true if the posts changed); a gap resubscribes. */
  function receive(ch: Channel, event: ReplayedEvent, at: Cursor): boolean {
    if (ch.buffer || !ch.cursor) {
      ch.buffer?.push(event);
      return false;
    }
    if (isCovered(ch.cursor, at)) {
      stats.duplicatesDropped++;
      return false;
    }
    if (isNextAfter(ch.cursor, at)) {
      const before = ch.posts;
      apply(ch, event, at);
      return !samePosts(before, ch.posts);
    }
    // A jump or a new epoch: never apply out of order; ask for what we missed instead.
    stats.gapsDetected++;
    subscribe(ch);
    return false;
  }

  function onLive(event: ReplayedEvent): void {
    const ch = channels.get(event.channel);
    const at = parseCursor(event.cursor);
    if (!closed && ch && at && receive(ch, event, at)) notify(ch);
  }

  /** Called by socket.io-client as each connection opens: the subscribes to send with it. */
  function handshakeRequests(): SubscribeRequest[] {
    const requests: SubscribeRequest[] = [];
    for (const ch of channels.values()) {
      if (requests.length === MAX_HANDSHAKE_SUBSCRIBES) break; // the rest go by emit
      ch.handshakeAttempt = nextAttempt(ch);
      requests.push(requestFor(ch));
    }
    return requests;
  }

  const ownAuth = options.subscribeInHandshake ? socket.auth : undefined;
  if (options.subscribeInHandshake) {
    socket.auth = (cb) => {
      const send = (data: object): void => {
        const subscribe = closed ? [] : handshakeRequests();
        cb(subscribe.length > 0 ? { ...data, subscribe } : data);
      };
      if (typeof ownAuth === 'function') ownAuth(send);
      else send(ownAuth ?? {});
    };
  }

  function onHandshakeAnswer(answer: HandshakeSubscribeAnswer): void {
    // A failure that names no channel is left to the channel's timer, which asks again.
    const name = answer.channel;
    if (closed || name === undefined) return;
    const ch = channels.get(name);
    if (!ch) {
      if (answer.ok) unsubscribe(name); // unwatched while the handshake was on its way
      return;
    }
    if (ch.handshakeAttempt !== ch.attempt) return;
    clearTimeout(ch.retryTimer);
    onAnswer(ch, ch.attempt, answer);
  }

  const handlers = {
    connect: guard(() => {
      for (const ch of channels.values()) {
        if (ch.handshakeAttempt !== ch.attempt) {
          subscribe(ch); // watched after the handshake went out
          continue;
        }
        // A server that ignores the handshake's subscribes is asked again, as a lost ack is.
        const attempt = ch.attempt;
        ch.retryTimer = setTimeout(
          guard(() => {
            onAnswer(ch, attempt, null);
          }),
          ackTimeoutMs,
        );
      }
    }),
    subscribed: guard(onHandshakeAnswer),
    disconnect: guard(() => {
      for (const ch of channels.values()) {
        clearTimeout(ch.retryTimer);
        ch.buffer ??= [];
      }
    }),
    postNew: guard((event: PostEvent) => {
      onLive({ ...event, type: 'post:new' });
    }),
    postUpdated: guard((event: PostEvent) => {
      onLive({ ...event, type: 'post:updated' });
    }),
    postRemoved: guard((event: RemovedEvent) => {
      onLive({ ...event, type: 'post:removed' });
    }),
  };
  socket.on('connect', handlers.connect);
  socket.on('disconnect', handlers.disconnect);
  socket.on('post:new', handlers.postNew);
  socket.on('post:updated', handlers.postUpdated);
  socket.on('post:removed', handlers.postRemoved);
  if (options.subscribeInHandshake) socket.on('subscribed', handlers.subscribed);

  return {
    stats,

    watch(channel, listener, { limit = 10 } = {}) {
      if (!Number.isInteger(limit) || limit < 1 || limit > 50)
        throw new RangeError(`limit must be a whole number from 1 to 50 (got ${limit})`);
      if (closed) return () => undefined;
      const entry = { listener };
      const existing = channels.get(channel);
      const restoredAt = existing ? null : parseCursor(restored[channel]);
      const watched: Channel = existing ?? {
        name: channel,
        limit,
        listeners: new Set(),
        posts: [],
        ...(restoredAt && { cursor: restoredAt, cursorText: restored[channel] }),
        serverTimeOffsetMs: 0,
        answered: false,
        subscribes: 0,
        attempt: 0,
        buffer: [],
        failures: 0,
      };
      watched.listeners.add(entry);
      if (!existing) {
        channels.set(channel, watched);
        subscribe(watched);
      } else if (existing.answered) {
        // A later watcher gets the current view too, but never synchronously inside watch().
        queueMicrotask(() => {
          if (watched.listeners.has(entry)) notify(watched, listener);
        });
      }
      return () => {
        if (!watched.listeners.delete(entry) || watched.listeners.size > 0) return;
        if (channels.get(channel) !== watched) return;
        channels.delete(channel);
        clearTimeout(watched.retryTimer);
        unsubscribe(channel);
      };
    },

    view(channel) {
      const ch = channels.get(channel);
      if (!ch?.answered) return undefined;
      const { posts, cursorText, serverTimeOffsetMs } = ch;
      return { posts: [...posts], cursor: cursorText, serverTimeOffsetMs };
    },

    cursors() {
      const out: Record<string, string> = {};
      for (const ch of channels.values()) if (ch.cursorText) out[ch.name] = ch.cursorText;
      return out;
    },

    close() {
      if (closed) return;
      closed = true;
      socket.off('connect', handlers.connect);
      socket.off('disconnect', handlers.disconnect);
      socket.off('post:new', handlers.postNew);
      socket.off('post:updated', handlers.postUpdated);
      socket.off('post:removed', handlers.postRemoved);
      if (options.subscribeInHandshake) {
        socket.off('subscribed', handlers.subscribed);
        socket.auth = ownAuth;
      }
      for (const ch of channels.values()) {
        clearTimeout(ch.retryTimer);
        unsubscribe(ch.name);
      }
      channels.clear();
    },
  };
}
