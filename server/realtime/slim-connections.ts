import type { Server } from 'socket.io';

/**
 * engine.io keeps each connection's first HTTP request for as long as the connection lives:
 * Socket.IO builds `socket.handshake` from it when a namespace is joined, and for a websocket
 * engine.io's upgrade response holds it from the TCP socket's `close` listener. With its
 * headers (parsed, and raw), that is about a kilobyte per idle subscriber. Khabar reads only
 * two headers from it (the newsroom's Origin check), so each connection keeps just those:
 * the request object stays, its header lists are emptied. (`npm run bench`, `memory`.)
 */

/** What of the request Socket.IO and Khabar still read after the upgrade. */
interface HeldRequest {
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
}

const KEPT_HEADERS = ['origin', 'host'] as const;

export function slimConnections(io: Server): void {
  io.engine.on('connection', (conn: { request: HeldRequest }) => {
    const request = conn.request;
    const kept: HeldRequest['headers'] = {};
    for (const name of KEPT_HEADERS) {
      const value = request.headers[name];
      if (value !== undefined) kept[name] = value;
    }
    request.headers = kept;
    request.rawHeaders = [];
  });
}
