import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP endpoint on 127.0.0.1 that forwards every connection to a target port the test can
 * change, cut and restore: what a managed Redis's "primary endpoint" (a DNS name or a proxy
 * that moves to the promoted replica) looks like from the client, and a network link that can
 * be broken for a while (a replica's link to its master).
 */
export interface TcpForwarder {
  port: number;
  /** Where new connections go from now on; `null` refuses them (closed at once). */
  setTarget(port: number | null): void;
  /** Destroys every open connection, both sides (a broken link; clients see ECONNRESET). */
  cutAll(): void;
  close(): Promise<void>;
}

export async function startTcpForwarder(initialTarget: number | null): Promise<TcpForwarder> {
  let target = initialTarget;
  const open = new Set<Socket>();
  const track = (socket: Socket): void => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = createServer((client) => {
    track(client);
    if (target === null) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    track(upstream);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    setTarget(next) {
      target = next;
    },
    cutAll() {
      for (const socket of open) socket.destroy();
    },
    close() {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
