import { createFeedClient, type FeedClient } from '../../shared/contract/feed-client.js';
import type { Post } from '../../shared/contract/protocol.js';
import type { FeedSocket } from './khabar.js';

/**
 * A reader as a page runs one: a socket.io-client socket (reconnecting by itself) with the
 * shared feed client on it, which resubscribes with its cursor after every reconnect. It
 * records what a test asks afterwards: each connection, and every list the page was shown.
 */
export interface FeedReader {
  name: string;
  socket: FeedSocket;
  client: FeedClient;
  /** The socket id of each connection, in order (a reconnect adds one). */
  connections: string[];
  /** Every list the client handed its listener, in order; the last is what the page shows. */
  lists: Post[][];
  /** The ids of the list shown now, newest first. */
  ids(): string[];
  /** The engine.io transport in use now: `websocket` or `polling`. */
  transport(): string;
}

/** Starts watching `channel` on `socket` (not yet connected: the client subscribes on connect). */
export function watchChannel(
  name: string,
  socket: FeedSocket,
  channel: string,
  limit: number,
): FeedReader {
  const connections: string[] = [];
  const lists: Post[][] = [];
  socket.on('connect', () => connections.push(socket.id ?? ''));
  const client = createFeedClient({ socket });
  client.watch(channel, (posts) => lists.push(posts), { limit });
  return {
    name,
    socket,
    client,
    connections,
    lists,
    ids: () => (lists.at(-1) ?? []).map((post) => post.id),
    transport: () => socket.io.engine.transport.name,
  };
}
