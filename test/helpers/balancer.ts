import { connect, createServer, type Socket } from 'node:net';

/** A plain TCP load balancer on 127.0.0.1, standing in for the one in front of several nodes. */
export interface Balancer {
  port: number;
  /** `http://127.0.0.1:<port>`, for socket.io-client and fetch. */
  url: string;
  /** The backend port of each connection accepted so far, in order (`null`: none accepted it). */
  routed: (number | null)[];
  /** Stops listening and destroys every open connection, both sides. */
  close(): Promise<void>;
}

/**
 * For each incoming connection, connects to the first port of `backends()` that accepts it
 * (the next one on ECONNREFUSED) and pipes both ways; when either side closes, both are
 * destroyed. `backends` is read per connection, so a test can change the list at any time.
 */
export function startBalancer(backends: () => number[]): Promise<Balancer> {
  const open = new Set<Socket>();
  const routed: (number | null)[] = [];
  const track = (socket: Socket): void => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };

  const server = createServer((client) => {
    track(client);
    const index = routed.push(null) - 1;
    let upstream: Socket | undefined;
    client.on('error', () => undefined);
    client.once('close', () => upstream?.destroy());

    const tryBackend = (ports: number[]): void => {
      const [port, ...rest] = ports;
      if (client.destroyed) return;
      if (port === undefined) {
        client.destroy();
        return;
      }
      const candidate = connect({ host: '127.0.0.1', port });
      let connected = false;
      upstream = candidate;
      track(candidate);
      candidate.on('error', (err: NodeJS.ErrnoException) => {
        candidate.destroy();
        if (!connected && err.code === 'ECONNREFUSED') tryBackend(rest);
        else client.destroy();
      });
      candidate.once('connect', () => {
        connected = true;
        routed[index] = port;
        candidate.once('close', () => client.destroy());
        client.pipe(candidate);
        candidate.pipe(client);
      });
    };
    tryBackend(backends());
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({
        port,
        url: `http://127.0.0.1:${port}`,
        routed,
        close() {
          const closed = new Promise<void>((done) =>
            server.close(() => {
              done();
            }),
          );
          for (const socket of open) socket.destroy();
          return closed;
        },
      });
    });
  });
}
