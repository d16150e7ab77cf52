/**
 * Servers on loopback for the fetch and address-guard tests. Only loopback exists here, so
 * 127.0.0.2 plays "the public internet" (the feed servers listen there and {@link onlyFeedHost}
 * allows exactly it) and 127.0.0.1 plays "the private network", where a trap counts every
 * connection that should never have been made.
 */
import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import {
  createServer as createTcpServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import type { AddressPolicy } from '../../shared/domain/address-guard.js';

/** The address that plays a public host; {@link onlyFeedHost} allows it alone. */
export const FEED_HOST = '127.0.0.2';
export const onlyFeedHost: AddressPolicy = (ip) => ip === FEED_HOST;
/** The smallest valid RSS feed, as {@link sendFeed} serves it. */
export const FEED =
  '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface FeedServer {
  readonly origin: string;
  readonly port: number;
  readonly requests: { url: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** What the current test started, closed by {@link closeOpenServers}. */
const open: { close(): Promise<void> }[] = [];

/** Listens on `host`:`port` (0: any free port) and resolves to the port. */
export async function listen(server: Server, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      throw error;
    }),
  ]);
  return (server.address() as AddressInfo).port;
}

/** A close function that also destroys the open sockets, so no keep-alive connection holds it up. */
export function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return async () => {
    for (const socket of sockets) socket.destroy();
    if (!server.listening) return;
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  };
}

/** A real HTTP server on `host` (127.0.0.2 by default) answering with `handler`. */
export async function startFeedServer(
  handler: Handler,
  host = FEED_HOST,
  port = 0,
): Promise<FeedServer> {
  const sockets = new Set<Socket>();
  const requests: FeedServer['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined); // the client hangs up on purpose in several tests
    socket.on('close', () => sockets.delete(socket));
  });
  const actual = await listen(server, port, host);
  const feed: FeedServer = {
    origin: `http://${host}:${actual}`,
    port: actual,
    requests,
    close: closer(server, sockets),
  };
  open.push(feed);
  return feed;
}

export interface Trap {
  readonly port: number;
  /** TCP connections accepted so far, on every address the trap listens on. */
  readonly connections: number;
  /** Whether the trap also listens on [::1]. */
  readonly ipv6: boolean;
  close(): Promise<void>;
}

/** A TCP listener that only counts connections: on 127.0.0.1 and, if it can, [::1], same port. */
export async function startTrap(port = 0): Promise<Trap> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const make = (): Server =>
    createTcpServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.destroy();
    });
  const v4 = make();
  const actual = await listen(v4, port, '127.0.0.1');
  const v6 = make();
  let ipv6 = true;
  try {
    await listen(v6, actual, '::1');
  } catch {
    ipv6 = false;
  }
  const trap: Trap = {
    port: actual,
    get connections() {
      return connections;
    },
    ipv6,
    close: async () => {
      await closer(v4, sockets)();
      await closer(v6, sockets)();
    },
  };
  open.push(trap);
  return trap;
}

/** A feed server on 127.0.0.2 and a trap on 127.0.0.1 (and [::1]) with the SAME port. */
export async function startFeedServerWithTrap(
  handler: Handler,
): Promise<{ feed: FeedServer; trap: Trap }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 10; attempt++) {
    const trap = await startTrap();
    try {
      return { feed: await startFeedServer(handler, FEED_HOST, trap.port), trap };
    } catch (error) {
      lastError = error;
      await trap.close();
    }
  }
  throw lastError;
}

export function sendFeed(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'application/rss+xml', ...headers });
  res.end(FEED);
}

/** Closes every server and trap started since the last call (for `afterEach`). */
export async function closeOpenServers(): Promise<void> {
  const closing = open.splice(0);
  await Promise.all(closing.map((item) => item.close()));
}

/** Has {@link closeOpenServers} close `item` after the current test. */
export function closeAfterTest(item: { close(): Promise<void> }): void {
  open.push(item);
}
