import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { Server } from 'socket.io';
import { WebSocketServer } from 'ws';
import { benchEvent } from '../payload.js';
import { heartbeatFromEnv, serveParent } from '../proc.js';

/**
 * The baselines, one per process (`node baselines.js b0|b1|b2`), each broadcasting the same
 * post event to every connected client when the controller says so:
 * - B0, the floor: a Node `net` server writing a prebuilt frame (the JSON and a newline) to
 *   each socket; a burst is one write of all its frames per socket.
 * - B1: a raw `ws` server sending the JSON, encoded once per broadcast, to each client.
 * - B2: a minimal Socket.IO server doing `io.emit('post:new', event)`, once per post.
 */

const kind = process.argv[2];
const run = process.argv[3] ?? 'run';
type Broadcast = (events: Record<string, unknown>[]) => number;

/**
 * Khabar's server node's listen backlog (server/node.ts), given to every baseline too: at Node's
 * default of 511, a wave of 5,000 reconnections overflowed B2's listen queue and its clients
 * waited out SYN retransmissions (1, 3, 7 s…): its storm read 44 s in one round and 5 s in the
 * next, a measure of the kernel's timers rather than of the server, and a minute of the run.
 */
const LISTEN_BACKLOG = 4096;

async function listen(server: {
  listen: (options: { port: number; host: string; backlog: number }, cb: () => void) => unknown;
  address: () => unknown;
}): Promise<number> {
  await new Promise<void>((resolve) =>
    server.listen({ port: 0, host: '127.0.0.1', backlog: LISTEN_BACKLOG }, resolve),
  );
  const address = server.address() as { port: number };
  return address.port;
}

async function start(): Promise<{ port: number; broadcast: Broadcast }> {
  if (kind === 'b0') {
    const sockets = new Set<Socket>();
    const server = createTcpServer((socket) => {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    });
    const port = await listen(server);
    return {
      port,
      broadcast(events) {
        const frame = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
        for (const socket of sockets) socket.write(frame);
        return sockets.size;
      },
    };
  }
  if (kind === 'b1') {
    const http = createHttpServer();
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
    const port = await listen(http);
    return {
      port,
      broadcast(events) {
        for (const event of events) {
          const data = Buffer.from(JSON.stringify(event));
          for (const client of wss.clients) client.send(data);
        }
        return wss.clients.size;
      },
    };
  }
  if (kind === 'b2') {
    const http = createHttpServer();
    const { heartbeatIntervalMs } = heartbeatFromEnv();
    const io = new Server(http, {
      serveClient: false,
      ...(heartbeatIntervalMs === undefined ? {} : { pingInterval: heartbeatIntervalMs }),
    });
    const port = await listen(http);
    return {
      port,
      broadcast(events) {
        for (const event of events) io.emit('post:new', event);
        return io.engine.clientsCount;
      },
    };
  }
  throw new Error(`unknown baseline ${String(kind)}`);
}

const { port, broadcast } = await start();
serveParent(
  (message) => {
    switch (message.type) {
      case 'broadcast': {
        const first = message.n as number;
        const count = (message.count as number | undefined) ?? 1;
        const at = new Date();
        const events = Array.from({ length: count }, (_, i) => benchEvent(first + i, run, at));
        return { clients: broadcast(events) };
      }
      default:
        throw new Error(`unknown request ${message.type}`);
    }
  },
  { port },
);
