import assert from 'node:assert/strict';
import { createServer, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import {
  leaveOwnRooms,
  shareHandshakes,
  slimConnections,
} from '../../server/realtime/slim-connections.js';

/** What each idle connection keeps (README "memory"): the parts engine.io would hold for good. */
describe('slim connections', function () {
  this.timeout(10_000);

  it('keeps a stand-in of the first request, drops the upgrade-time listeners, shares the handshake', async () => {
    const http = createServer();
    const io = new Server(http, { perMessageDeflate: false });
    slimConnections(io);
    shareHandshakes(io.of('/'));
    leaveOwnRooms(io.of('/'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const clients = [0, 1].map(() =>
      connectClient(url, {
        transports: ['websocket'],
        forceNew: true,
        extraHeaders: { origin: 'https://news.example', 'x-large': 'x'.repeat(4000) },
      }),
    );
    try {
      const sockets = await new Promise<import('socket.io').Socket[]>((resolve) => {
        const seen: import('socket.io').Socket[] = [];
        io.on('connection', (socket) => {
          if (seen.push(socket) === clients.length) resolve(seen);
        });
      });
      for (const socket of sockets) {
        const conn = socket.conn as unknown as {
          request: unknown;
          transport: { socket: NodeJS.EventEmitter & { _socket: NodeJS.EventEmitter } };
        };
        assert.ok(!(conn.request instanceof IncomingMessage));
        assert.deepEqual((conn.request as { headers: unknown }).headers, {
          origin: 'https://news.example',
          host: new URL(url).host,
        });
        const relays = conn.transport.socket._socket
          .rawListeners('close')
          .filter(
            (l) => String((l as { listener?: unknown }).listener) === '() => this.emit("close")',
          );
        assert.deepEqual(relays, []);
        const upgradeErrors = conn.transport.socket
          .rawListeners('error')
          .filter((l) => l.name === 'onUpgradeError');
        assert.deepEqual(upgradeErrors, []);
      }
      const [a, b] = sockets;
      assert.ok(a && b);
      // Alike (one origin, host and URL): one frozen stand-in for both connections.
      assert.equal(a.conn.request, b.conn.request);
      assert.ok(Object.isFrozen(a.conn.request));
      assert.equal(a.handshake, b.handshake);
      assert.ok(Object.isFrozen(a.handshake));
      // In no room of their own; a room they join still reaches them, and so do their acks.
      assert.equal(io.of('/').adapter.rooms.size, 0);
      await a.join('ch:top:en');
      const clientA = clients.find((client) => client.id === a.id);
      const got = new Promise((resolve) => clientA?.once('post:new', resolve));
      io.of('/').to('ch:top:en').emit('post:new', { seq: 1 });
      assert.deepEqual(await got, { seq: 1 });
      a.once('ping?', (ack: (answer: string) => void) => {
        ack('pong');
      });
      assert.equal(await clientA?.timeout(2000).emitWithAck('ping?'), 'pong');
    } finally {
      for (const client of clients) client.disconnect();
      await io.close();
    }
  });

  it('finds the listeners it removes in this engine.io (a version that renames them fails here)', async () => {
    const http = createServer();
    const io = new Server(http, { perMessageDeflate: false });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const client = connectClient(url, { transports: ['websocket'], forceNew: true });
    try {
      const socket = await new Promise<import('socket.io').Socket>((resolve) => {
        io.on('connection', resolve);
      });
      const conn = socket.conn as unknown as {
        request: unknown;
        transport: { socket: NodeJS.EventEmitter & { _socket: NodeJS.EventEmitter } };
      };
      assert.ok(conn.request instanceof IncomingMessage);
      assert.ok(
        conn.transport.socket._socket
          .rawListeners('close')
          .some(
            (l) => String((l as { listener?: unknown }).listener) === '() => this.emit("close")',
          ),
      );
      assert.ok(
        conn.transport.socket.rawListeners('error').some((l) => l.name === 'onUpgradeError'),
      );
    } finally {
      client.disconnect();
      await io.close();
    }
  });
});
