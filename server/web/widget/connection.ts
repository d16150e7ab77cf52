import { io, type Socket } from 'socket.io-client';
import { applyChange, changeOf } from '../../../shared/contract/recent-posts.js';
import {
  createFeedClient,
  type FeedClient,
  type FeedSocket,
  type HandshakeAuth,
} from '../../../shared/contract/feed-client.js';
import type {
  HandshakeSubscribeAnswer,
  Post,
  PublicAuth,
  PublicClientEvents,
  PublicServerEvents,
  ReplayedEvent,
  SubscribeAnswer,
  SubscribeOk,
  SubscribeRequest,
} from '../../../shared/contract/protocol.js';
import { loadFeed, saveFeed, type StoredFeed } from './storage.js';

/**
 * One Socket.IO connection and one feed client per server, shared by every widget on the
 * page that talks to that server.
 */

type KhabarSocket = Socket<PublicServerEvents, PublicClientEvents>;

/** How long a connection may be down before the widgets say "reconnecting…". */
export const RECONNECTING_AFTER_MS = 2000;

export interface Connection {
  readonly server: string;
  readonly client: FeedClient;
  /** Whether the widgets should show the "reconnecting" indicator now. */
  readonly reconnecting: boolean;
  /** Calls back whenever `reconnecting` changes; returns a function that stops it. */
  onStatus(listener: (reconnecting: boolean) => void): () => void;
  /** Keeps the stored `{cursor, posts}` of a channel up to date; call after every change. */
  persist(channel: string): void;
  /** Drops this holder; the last one closes the connection. */
  release(): void;
}

type SharedConnection = Omit<Connection, 'reconnecting'> & {
  reconnecting: boolean;
  refs: number;
  closing?: ReturnType<typeof setTimeout>;
};
const connections = new Map<string, SharedConnection>();

/**
 * A connection nobody uses is closed only after this: a widget that restarts (an attribute
 * changed) or a page that swaps widgets keeps the one connection instead of opening another.
 */
const LINGER_MS = 1000;

/** Applies replayed events, in order, to a stored list. */
function replay(posts: Post[], events: ReplayedEvent[], limit: number): Post[] {
  const list = events.reduce((acc, event) => applyChange(acc, changeOf(event), Infinity), posts);
  return list.slice(0, limit);
}

/**
 * The feed client only takes cursors, and a `recovered: true` answer holds only the events
 * after the cursor. So the first subscribe of a channel with stored posts goes out with the
 * stored cursor as `since`, and a recovered answer is handed to the client as the full list
 * (stored posts + replayed events), as if it were a fresh snapshot. Anything else passes as is.
 * Both ways of subscribing go through here: by emit, and in the handshake (`auth`), whose
 * answers come as `subscribed` events.
 */
function resumingSocket(socket: KhabarSocket, server: string, limits: Map<string, number>) {
  const resumed = new Set<string>();
  /** The stored feed each handshake subscribe resumes from, until its answer. */
  const inHandshake = new Map<string, StoredFeed | undefined>();
  const answerListeners = new Map<unknown, (answer: HandshakeSubscribeAnswer) => void>();

  function prepare(request: SubscribeRequest): { sent: SubscribeRequest; usable?: StoredFeed } {
    const limit = request.limit ?? 10;
    limits.set(request.channel, limit);
    const stored =
      request.since === undefined && !resumed.has(request.channel)
        ? loadFeed(server, request.channel)
        : undefined;
    const usable = stored && stored.limit >= limit ? stored : undefined;
    return usable ? { sent: { ...request, since: usable.cursor }, usable } : { sent: request };
  }

  function complete(answer: SubscribeOk, usable: StoredFeed | undefined): SubscribeOk {
    resumed.add(answer.channel);
    if (!usable || !answer.recovered) return answer;
    const { events: _events, ...rest } = answer;
    const limit = limits.get(answer.channel) ?? 10;
    return { ...rest, recovered: false, posts: replay(usable.posts, answer.events ?? [], limit) };
  }

  async function subscribe(ms: number, request: SubscribeRequest): Promise<SubscribeAnswer> {
    const { sent, usable } = prepare(request);
    const answer = (await socket.timeout(ms).emitWithAck('subscribe', sent)) as SubscribeAnswer;
    return answer.ok ? complete(answer, usable) : answer;
  }

  /** The feed client's `auth`, with each handshake subscribe prepared as an emitted one is. */
  function resumingAuth(auth: HandshakeAuth | undefined): KhabarSocket['auth'] {
    if (typeof auth !== 'function') return auth ?? {};
    return (cb) => {
      auth((data: PublicAuth) => {
        inHandshake.clear();
        const subscribe = data.subscribe?.map((request) => {
          const { sent, usable } = prepare(request);
          inHandshake.set(request.channel, usable);
          return sent;
        });
        cb(subscribe ? { ...data, subscribe } : data);
      });
    };
  }

  function completeHandshake(answer: HandshakeSubscribeAnswer): HandshakeSubscribeAnswer {
    if (!answer.ok) return answer;
    const usable = inHandshake.get(answer.channel);
    inHandshake.delete(answer.channel);
    return complete(answer, usable);
  }

  const feedSocket: FeedSocket = {
    get connected() {
      return socket.connected;
    },
    get auth() {
      return socket.auth;
    },
    set auth(auth) {
      socket.auth = resumingAuth(auth);
    },
    on(event: string, listener: (...args: never[]) => void) {
      if (event === 'subscribed') {
        const completing = (answer: HandshakeSubscribeAnswer): void => {
          (listener as (answer: HandshakeSubscribeAnswer) => void)(completeHandshake(answer));
        };
        answerListeners.set(listener, completing);
        socket.on('subscribed', completing);
      } else {
        socket.on(event as 'connect', listener);
      }
      return feedSocket;
    },
    off(event: string, listener: (...args: never[]) => void) {
      if (event === 'subscribed') {
        const completing = answerListeners.get(listener);
        answerListeners.delete(listener);
        if (completing) socket.off('subscribed', completing);
      } else {
        socket.off(event as 'connect', listener);
      }
      return feedSocket;
    },
    timeout(ms) {
      return {
        emitWithAck: ((event: 'subscribe' | 'unsubscribe', request: SubscribeRequest) =>
          event === 'subscribe'
            ? subscribe(ms, request)
            : socket.timeout(ms).emitWithAck('unsubscribe', request)) as never,
      };
    },
  };
  return feedSocket;
}

/** The shared connection to `server` (an origin); call `release()` when done with it. */
export function connect(server: string): Connection {
  const existing = connections.get(server);
  if (existing) {
    existing.refs++;
    clearTimeout(existing.closing);
    existing.closing = undefined;
    return existing;
  }
  const socket: KhabarSocket = io(server, { transports: ['websocket', 'polling'] });
  const limits = new Map<string, number>();
  const client = createFeedClient({
    socket: resumingSocket(socket, server, limits),
    subscribeInHandshake: true,
  });
  const listeners = new Set<(reconnecting: boolean) => void>();
  let downTimer: ReturnType<typeof setTimeout> | undefined;

  const setReconnecting = (value: boolean): void => {
    if (connection.reconnecting === value) return;
    connection.reconnecting = value;
    for (const listener of [...listeners]) listener(value);
  };
  const onDown = (): void => {
    clearTimeout(downTimer);
    downTimer = setTimeout(() => {
      setReconnecting(true);
    }, RECONNECTING_AFTER_MS);
  };
  const onUp = (): void => {
    clearTimeout(downTimer);
    setReconnecting(false);
  };

  const connection: SharedConnection = {
    server,
    client,
    reconnecting: false,
    refs: 1,
    onStatus(listener: (reconnecting: boolean) => void) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    persist(channel: string) {
      const view = client.view(channel);
      if (!view?.cursor) return;
      const limit = limits.get(channel) ?? view.posts.length;
      saveFeed(server, channel, { cursor: view.cursor, limit, posts: view.posts });
    },
    release() {
      if (--connection.refs > 0) return;
      clearTimeout(connection.closing);
      connection.closing = setTimeout(() => {
        if (connection.refs > 0) return;
        connections.delete(server);
        clearTimeout(downTimer);
        listeners.clear();
        client.close();
        socket.off('connect', onUp);
        socket.off('disconnect', onDown);
        socket.disconnect();
      }, LINGER_MS);
    },
  };
  socket.on('connect', onUp);
  socket.on('disconnect', onDown);
  onDown(); // not connected yet: the first connection counts too
  connections.set(server, connection);
  return connection;
}
