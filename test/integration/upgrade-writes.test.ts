import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startKhabar, type TestKhabar } from '../helpers/khabar.js';

/**
 * What a raw TCP client reads after asking for a websocket session the server refuses after its
 * 101, until the server closes the connection.
 */
function refusedUpgrade(url: string, engineIoVersion: number): Promise<{ reads: string[] }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const reads: string[] = [];
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `GET /socket.io/?EIO=${engineIoVersion}&transport=websocket HTTP/1.1\r\n` +
          `Host: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    socket.on('data', (data) => {
      reads.push(data.toString('latin1'));
    });
    socket.on('error', () => undefined); // a refused session is reset after its answer
    socket.on('close', () => {
      resolve({ reads });
    });
  });
}

// The 101 and the open packet of a session that opens are corked together (upgrade-writes.ts);
// every other test opens sessions. This one covers the session refused while corked.
describe('websocket session writes', function () {
  let khabar: TestKhabar;
  before(async () => {
    khabar = await startKhabar({ workers: false });
  });
  after(async () => {
    await khabar.close();
  });

  it('still answers a session refused after the 101 (Engine.IO v3), and closes it', async () => {
    const { reads } = await refusedUpgrade(khabar.url, 3);
    const all = reads.join('');
    assert.match(all, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(all, /HTTP\/1\.1 400 Bad Request\r\n[\s\S]*Unsupported protocol version/);
  });
});
