import type { Namespace, Server, Socket } from 'socket.io';

type Handshake = Socket['handshake'];

/**
 * engine.io keeps each connection's first HTTP request for as long as the connection lives:
 * Socket.IO builds `socket.handshake` from it whenever a namespace is joined, and for a
 * websocket, engine.io's upgrade response holds it from the TCP socket's `close` listener.
 * With its headers (parsed, and raw), its stream state and its socket references, that is about
 * 1.5 KB per idle subscriber. Khabar reads two headers of it (the newsroom's Origin check), so
 * each connection keeps a stand-in with just what a handshake reads, and the upgrade response's
 * listener, which only tells HTTP middlewares that the response is over, is removed once the
 * connection is made. (`npm run bench`, `memory`.)
 */

/** What Socket.IO reads of the request to build a handshake (socket.io/dist/socket.js). */
interface HandshakeRequest {
  headers: Record<string, string | string[] | undefined>;
  url?: string;
  _query?: Record<string, string>;
  connection: { encrypted?: boolean };
}

interface EngineConnection {
  request: HandshakeRequest;
  transport: { name: string; socket?: Emitter & { _socket?: Emitter } };
}

interface Emitter {
  rawListeners(event: string): ((...args: unknown[]) => void)[];
  removeListener(event: string, listener: (...args: unknown[]) => void): void;
}

const KEPT_HEADERS = ['origin', 'host'] as const;

/**
 * The source of engine.io's `WebSocketResponse` close relay (`socket.once("close", () =>
 * this.emit("close"))`): recognised by its text, so that another version's listener, whatever it
 * is, is left alone (the cost is then only memory).
 */
const UPGRADE_RESPONSE_RELAY = '() => this.emit("close")';

function releaseUpgradeResponse(socket: Emitter): void {
  for (const listener of socket.rawListeners('close')) {
    const wrapped = (listener as { listener?: unknown }).listener;
    if (typeof wrapped === 'function' && wrapped.toString() === UPGRADE_RESPONSE_RELAY)
      socket.removeListener('close', listener);
  }
}

/**
 * engine.io's error listener for the time before a websocket becomes a transport: on a new
 * connection it is never removed (on an upgrade it is), and its closure holds the upgrade's scope.
 * The transport's own error handling covers the websocket from then on.
 */
function releaseUpgradeErrorListener(websocket: Emitter): void {
  for (const listener of websocket.rawListeners('error'))
    if (listener.name === 'onUpgradeError') websocket.removeListener('error', listener);
}

/**
 * Connections whose stand-ins would be alike share one: readers of one page come from one origin
 * to one host and URL, so 10k of them keep one object instead of 10k (~0.2 KB each). Frozen, so
 * a write to it throws instead of reaching other connections; bounded, so origins that vary
 * (hostile clients, many embedding sites) cost each connection its own, as before.
 */
const MAX_SHARED_STAND_INS = 256;

function standInFor(
  request: HandshakeRequest,
  shared: Map<string, HandshakeRequest>,
): HandshakeRequest {
  const { headers, url, _query, connection } = request;
  const kept: HandshakeRequest['headers'] = {};
  for (const name of KEPT_HEADERS) {
    const value = headers[name];
    if (value !== undefined) kept[name] = value;
  }
  const encrypted = connection.encrypted === true;
  const key = JSON.stringify([kept.origin, kept.host, url, encrypted]);
  const known = shared.get(key);
  if (known) return known;
  const standIn: HandshakeRequest = Object.freeze({
    headers: Object.freeze(kept),
    url,
    _query: _query && Object.freeze({ ..._query }),
    connection: Object.freeze({ encrypted }),
  });
  if (shared.size < MAX_SHARED_STAND_INS) shared.set(key, standIn);
  return standIn;
}

export function slimConnections(io: Server): void {
  const shared = new Map<string, HandshakeRequest>();
  io.engine.on('connection', (conn: EngineConnection) => {
    conn.request = standInFor(conn.request, shared);
    const websocket = conn.transport.name === 'websocket' ? conn.transport.socket : undefined;
    if (!websocket) return;
    releaseUpgradeErrorListener(websocket);
    if (websocket._socket) releaseUpgradeResponse(websocket._socket);
  });
}

/**
 * What every public socket has as `handshake`: Socket.IO builds one per socket (the time as a
 * string, the URL, the query, the auth) and reads none of it later; the public namespace does not
 * either. Frozen: a write to it throws instead of reaching every socket.
 */
const SHARED_HANDSHAKE: Handshake = Object.freeze({
  headers: Object.freeze({}),
  time: '',
  address: '',
  xdomain: false,
  secure: false,
  issued: 0,
  url: '',
  query: Object.freeze({}),
  auth: Object.freeze({}),
});

/** Gives each socket of `nsp` the shared handshake once it has connected. */
export function shareHandshakes(nsp: Namespace): void {
  nsp.on('connection', (socket) => {
    (socket as { handshake: Handshake }).handshake = SHARED_HANDSHAKE;
  });
}

/**
 * Takes each socket of `nsp` out of the room of its own id, which Socket.IO joins it to for
 * `nsp.to(socket.id)`: that room is a Set and a Map entry per connection (~0.2 KB), and the
 * public namespace never addresses a socket by it (answers are acks, events go to channel
 * rooms). Such a socket is still reached by its acks, `socket.emit` and the rooms it joins; not
 * by a namespace-wide broadcast (the in-memory adapter walks the sockets that are in a room),
 * which this namespace does not make.
 */
export function leaveOwnRooms(nsp: Namespace): void {
  nsp.on('connection', (socket) => {
    void socket.leave(socket.id);
  });
}
