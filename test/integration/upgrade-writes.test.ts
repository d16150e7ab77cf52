import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startKhabar, type TestKhabar } from '../helpers/khabar.js';

function upgradeRequest(
  hostname: string,
  port: string,
  engineIoVersion: number,
  extra = '',
): string {
  return (
    `GET /socket.io/?EIO=${engineIoVersion}&transport=websocket HTTP/1.1\r\n` +
    `Host: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${extra}` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
  );
}

/** The head of the answer to a websocket session from `origin` that opens (the 101). */
function openedUpgradeHead(url: string, origin: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let read = '';
    const socket = connect(Number(port), hostname, () => {
      socket.write(upgradeRequest(hostname, port, 4, `Origin: ${origin}\r\n`));
    });
    socket.on('data', (data) => {
      read += data.toString('latin1');
      const end = read.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.destroy();
      resolve(read.slice(0, end));
    });
    socket.on('error', reject);
  });
}

/**
 * What a raw TCP client reads after asking for a websocket session the server refuses after its
 * 101, until the server closes the connection.
 */
function refusedUpgrade(url: string, engineIoVersion: number): Promise<{ reads: string[] }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const reads: string[] = [];
    const socket = connect(Number(port), hostname, () => {
      socket.write(upgradeRequest(hostname, port, engineIoVersion));
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

// Socket.IO's long-polling transport follows CORS_ORIGINS; a websocket upgrade is not subject to
// CORS, and skips the policy (server/http/cors.ts, `pollingCors`).
describe('public socket CORS', function () {
  const allowed = 'https://news.example';
  let khabar: TestKhabar;
  before(async () => {
    khabar = await startKhabar({ workers: false, env: { CORS_ORIGINS: allowed } });
  });
  after(async () => {
    await khabar.close();
  });

  const polling = (origin: string, method = 'GET'): Promise<Response> =>
    fetch(`${khabar.url}/socket.io/?EIO=4&transport=polling`, {
      method,
      headers: { origin, 'access-control-request-method': 'GET' },
    });

  it('lets a listed origin poll, preflight included', async () => {
    const open = await polling(allowed);
    assert.equal(open.status, 200);
    assert.equal(open.headers.get('access-control-allow-origin'), allowed);
    const preflight = await polling(allowed, 'OPTIONS');
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), allowed);
  });

  it('gives an origin that is not listed no CORS answer to read', async () => {
    const open = await polling('https://elsewhere.example');
    assert.equal(open.headers.get('access-control-allow-origin'), null);
  });

  it('opens a websocket session without running the policy on its upgrade', async () => {
    const head = await openedUpgradeHead(khabar.url, allowed);
    assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.doesNotMatch(head, /access-control-/i);
  });
});
