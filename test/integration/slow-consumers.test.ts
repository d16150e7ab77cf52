import assert from 'node:assert/strict';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../shared/infra/logger.js';
import { Server } from 'socket.io';
import { io as connectClient, type Socket } from 'socket.io-client';
import {
  createSlowConsumerGuard,
  type SlowConsumerGuard,
} from '../../server/realtime/slow-consumers.js';
import { eventually } from '../helpers/khabar.js';

/** The guard's timer runs only while there is something to look at (idle CPU at 10k readers). */
describe('the slow-consumer guard', function () {
  this.timeout(10_000);
  let http: HttpServer;
  let io: Server;
  let url: string;
  let guard: SlowConsumerGuard;
  const clients: Socket[] = [];

  before(async () => {
    http = createServer();
    io = new Server(http);
    guard = createSlowConsumerGuard({
      sweptWhole: [io.of('/newsroom')],
      limitBytes: 1024,
      logger: createLogger({ level: 'silent', role: 'test' }),
      intervalMs: 20,
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    guard.start();
  });
  after(async () => {
    guard.stop();
    for (const c of clients) c.disconnect();
    await io.close();
  });

  async function connect(path: string): Promise<Socket> {
    const socket = connectClient(`${url}${path}`, { transports: ['websocket'], forceNew: true });
    clients.push(socket);
    await new Promise<void>((resolve) => {
      socket.once('connect', () => {
        resolve();
      });
    });
    return socket;
  }

  it('sleeps with readers connected, sweeps once for a connection reported behind', async () => {
    await connect('/');
    await connect('/');
    assert.equal(guard.sweeping, false);
    const [reader] = io.of('/').sockets.values();
    assert.ok(reader);
    guard.behind(reader.conn);
    assert.equal(guard.sweeping, true);
    // Under the limit: one sweep looks at it, and nothing is left to look at.
    await eventually(() => (guard.sweeping ? undefined : true), 1000);
  });

  it('sweeps while a dashboard is connected, and stops after it left', async () => {
    const dashboard = await connect('/newsroom');
    assert.equal(guard.sweeping, true);
    await new Promise((r) => setTimeout(r, 100)); // five sweeps: it keeps going
    assert.equal(guard.sweeping, true);
    dashboard.disconnect();
    await eventually(() => (guard.sweeping ? undefined : true), 1000);
  });
});
