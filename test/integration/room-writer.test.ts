import assert from 'node:assert/strict';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { io as connectClient, type Socket } from 'socket.io-client';
import { createRoomWriter, textFrame } from '../../server/realtime/room-writer.js';
import { eventually } from '../helpers/khabar.js';

describe('the room writer', function () {
  this.timeout(10_000);
  let http: HttpServer;
  let io: Server;
  let url: string;
  const clients: Socket[] = [];
  const serverSockets = new Map<string, ServerSocket>();

  before(async () => {
    http = createServer();
    io = new Server(http, { perMessageDeflate: false });
    io.of('/newsroom');
    for (const nsp of [io.of('/'), io.of('/newsroom')]) {
      nsp.on('connection', (socket) => {
        serverSockets.set(String(socket.handshake.auth.name), socket);
        void socket.join('room');
      });
    }
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await io.close();
  });

  async function client(
    name: string,
    transports: ('websocket' | 'polling')[],
    path = '/',
  ): Promise<{ socket: Socket; got: { event: string; seq: number }[] }> {
    const socket = connectClient(`${url}${path}`, { transports, forceNew: true, auth: { name } });
    clients.push(socket);
    const got: { event: string; seq: number }[] = [];
    socket.onAny((event: string, payload: { seq: number }) =>
      got.push({ event, seq: payload.seq }),
    );
    await new Promise<void>((resolve) =>
      socket.once('connect', () => {
        resolve();
      }),
    );
    await eventually(() => (serverSockets.has(name) ? true : undefined));
    return { socket, got };
  }

  it('frames text as RFC 6455 says, at every length encoding', () => {
    const header = (length: number): number[] => [
      ...textFrame(Buffer.alloc(length, 'x')).subarray(0, 10),
    ];
    assert.deepEqual(header(125).slice(0, 2), [0x81, 125]);
    assert.deepEqual(header(126).slice(0, 4), [0x81, 126, 0x00, 0x7e]);
    assert.deepEqual(header(65_535).slice(0, 4), [0x81, 126, 0xff, 0xff]);
    assert.deepEqual(header(65_536), [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    assert.equal(textFrame(Buffer.alloc(70_000)).length, 70_010);
  });

  it('delivers payloads of every frame length intact to a real client', async () => {
    const socket = connectClient(url, {
      transports: ['websocket'],
      forceNew: true,
      auth: { name: 'sizes' },
    });
    clients.push(socket);
    const got: string[] = [];
    socket.on('post:new' as never, (payload: { text: string }) => {
      got.push(payload.text);
    });
    await new Promise<void>((resolve) =>
      socket.once('connect', () => {
        resolve();
      }),
    );
    await eventually(() => (serverSockets.has('sizes') ? true : undefined));
    const texts = [10, 100, 200, 65_500, 70_000].map((n) => 'ख'.repeat(n));
    const writer = createRoomWriter(io.of('/'));
    for (const text of texts) writer.emit(['room'], 'post:new', { seq: 0, text });
    await eventually(() => (got.length === texts.length ? true : undefined));
    assert.deepEqual(got, texts);
    socket.disconnect();
  });

  it('writes a batch to a websocket in one write, each event its own, in order', async () => {
    const { got } = await client('ws', ['websocket']);
    const conn = serverSockets.get('ws')!.conn as unknown as {
      transport: { socket: { _socket: { write: (...args: unknown[]) => boolean } } };
    };
    const raw = conn.transport.socket._socket;
    let writes = 0;
    const original = raw.write.bind(raw);
    raw.write = (...args: unknown[]) => {
      writes++;
      return original(...args);
    };
    const writer = createRoomWriter(io.of('/'));
    writer.batch(() => {
      for (let seq = 1; seq <= 10; seq++)
        writer.emit(['room'], 'post:new', { seq, title: `é ${seq}` });
    });
    await eventually(() => (got.length === 10 ? true : undefined));
    assert.equal(writes, 1);
    assert.deepEqual(
      got.map((g) => g.seq),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    raw.write = original;
  });

  it('gives long-polling clients and other namespaces the same events, in order', async () => {
    const polling = await client('polling', ['polling']);
    const newsroom = await client('newsroom', ['websocket'], '/newsroom');
    for (const nsp of [io.of('/'), io.of('/newsroom')]) {
      const writer = createRoomWriter(nsp);
      writer.batch(() => {
        writer.emit(['room'], 'post:new', { seq: 1 });
        writer.emit(['room'], 'post:removed', { seq: 2 });
      });
      writer.emit(['room'], 'post:updated', { seq: 3 });
    }
    for (const { got } of [polling, newsroom]) {
      await eventually(() => (got.length === 3 ? true : undefined));
      assert.deepEqual(got, [
        { event: 'post:new', seq: 1 },
        { event: 'post:removed', seq: 2 },
        { event: 'post:updated', seq: 3 },
      ]);
    }
  });

  it('queues behind what engine.io still holds for a busy connection', async () => {
    const { got } = await client('busy', ['websocket']);
    const socket = serverSockets.get('busy')!;
    const conn = socket.conn as unknown as { transport: { writable: boolean } };
    // While a write is in flight engine.io buffers packets; ours must not overtake them.
    conn.transport.writable = false;
    socket.emit('post:new', { seq: 1 });
    createRoomWriter(io.of('/')).emit(['room'], 'post:new', { seq: 2 });
    conn.transport.writable = true;
    (socket.conn as unknown as { flush: () => void }).flush();
    await eventually(() => (got.filter((g) => g.seq <= 2).length === 2 ? true : undefined));
    assert.deepEqual(
      got.map((g) => g.seq),
      [1, 2],
    );
  });

  it('reports the connections a write was held back for (the slow-consumer guard), not others', async () => {
    await Promise.all(['reading', 'full', 'queued'].map((name) => client(name, ['websocket'])));
    type Conn = {
      transport: { writable: boolean; socket: { _socket: { write: (data: Buffer) => boolean } } };
      flush: () => void;
    };
    const connOf = (name: string): Conn => serverSockets.get(name)!.conn as unknown as Conn;
    // A TCP socket past its high-water mark: it takes the bytes, and its write says false.
    const raw = connOf('full').transport.socket._socket;
    const original = raw.write.bind(raw);
    raw.write = (data) => {
      original(data);
      return false;
    };
    // A connection engine.io is still writing to, with a packet of its own waiting: ours queue
    // behind it in engine.io's buffer.
    connOf('queued').transport.writable = false;
    serverSockets.get('queued')!.emit('post:new', { seq: 0 });
    const behind = new Set<unknown>();
    const writer = createRoomWriter(io.of('/'), (conn) => behind.add(conn));
    writer.emit(['room'], 'post:new', { seq: 1 });
    raw.write = original;
    connOf('queued').transport.writable = true;
    connOf('queued').flush();
    assert.ok(behind.has(connOf('full')));
    assert.ok(behind.has(connOf('queued')));
    assert.ok(!behind.has(connOf('reading')));
  });
});
