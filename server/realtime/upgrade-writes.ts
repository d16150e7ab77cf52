import type { IncomingMessage } from 'node:http';
import type { Server } from 'socket.io';
import { websocketTcpSocket } from './room-writer.js';

/** Writes out what a corked socket holds; a no-op on one that is not corked. */
function release(socket: { writableCorked: number; uncork(): void } | undefined): void {
  if (socket && socket.writableCorked > 0) socket.uncork();
}

/**
 * A new websocket session costs the server two writes before its client can say anything: ws's
 * `101 Switching Protocols`, then engine.io's open packet a few microtasks later (the session id
 * is awaited). Corked from the moment the 101's headers are final until engine.io has made the
 * connection, they leave in one system call, and the client reads them at once (the 101's own
 * write was 7% of the server's samples in the bench's reconnect storm). Every write waits
 * alike, so nothing is reordered. A session refused after the 101 is released when engine.io
 * says so (`connection_error`, which it emits before it writes its 400 and destroys the socket,
 * which would drop corked data), and anything else when the step ends.
 */
export function coalesceUpgradeWrites(io: Server): void {
  io.engine.on('initial_headers', (_headers: unknown, req: IncomingMessage) => {
    if (req.headers.upgrade === undefined) return; // long-polling: one response either way
    const socket = req.socket;
    socket.cork();
    setImmediate(() => {
      release(socket);
    });
  });
  io.engine.on('connection', (conn: unknown) => {
    release(websocketTcpSocket(conn));
  });
  io.engine.on('connection_error', ({ req }: { req: IncomingMessage }) => {
    release(req.socket);
  });
}
