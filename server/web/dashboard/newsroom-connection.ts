import { io, type Socket } from 'socket.io-client';
import type {
  NewsroomAuth,
  NewsroomClientEvents,
  NewsroomServerEvents,
} from '../../../shared/contract/protocol.js';

/**
 * The dashboard's one Socket.IO connection, to the `/newsroom` namespace with the token in
 * the handshake, and what became of it: connected, lost (socket.io retries by itself),
 * refused (the token), or given up.
 */
export type NewsroomSocket = Socket<NewsroomServerEvents, NewsroomClientEvents>;

export interface ConnectionHandlers {
  /** Connected, the first time or again: the namespace has no replay, reload the snapshot. */
  onConnect(): void;
  /** Lost, or not reachable yet; socket.io keeps trying. */
  onRetrying(reason: string): void;
  /**
   * The server refused the handshake: `reason` is `unauthorized` for a bad token, `detail`
   * the server's sentence about it when it sent one. No more retries.
   */
  onRefused(reason: string, detail: string | undefined): void;
}

/** The message of the `connect_error` the server sends for a missing or wrong token. */
export const UNAUTHORIZED = 'unauthorized';

/** The `data.message` a refusing server attaches to its `connect_error`, if any. */
function detailOf(err: Error): string | undefined {
  const data: unknown = 'data' in err ? err.data : undefined;
  if (typeof data !== 'object' || data === null || !('message' in data)) return undefined;
  return typeof data.message === 'string' ? data.message : undefined;
}

export function connectNewsroom(
  origin: string,
  auth: NewsroomAuth,
  handlers: ConnectionHandlers,
): NewsroomSocket {
  const socket: NewsroomSocket = io(`${origin}/newsroom`, {
    auth: { ...auth },
    transports: ['websocket', 'polling'],
  });
  socket.on('connect', () => {
    handlers.onConnect();
  });
  socket.on('connect_error', (err) => {
    // A refusal by the server's middleware leaves the socket inactive: socket.io will not retry.
    if (socket.active) handlers.onRetrying(err.message);
    else handlers.onRefused(err.message, detailOf(err));
  });
  socket.on('disconnect', (reason) => {
    if (reason === 'io client disconnect') return;
    // The server let go of us on purpose; ask again (a revoked token is refused then).
    if (reason === 'io server disconnect') socket.connect();
    handlers.onRetrying(reason);
  });
  return socket;
}
