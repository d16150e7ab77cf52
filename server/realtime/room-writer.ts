import type { Namespace } from 'socket.io';

/**
 * Writes events to the sockets of rooms as Socket.IO would, at a fraction of the cost.
 *
 * Each event is encoded once (the Socket.IO packet, and the WebSocket frame around it) and
 * the frame's bytes are written straight to each websocket's TCP socket. Events for one room
 * within a batch (a fan-out read, or a feed poll's ten posts) go out as their frames laid
 * end to end: one write, one system call per socket, and still one event (one `seq`) per
 * frame for the client. What the client receives is byte for byte what `io.to(room).emit`
 * would send.
 *
 * The shortcut is taken only where it cannot reorder anything: the connection is open, on
 * the websocket transport (not mid-upgrade), and engine.io holds nothing unsent for it (its
 * write buffer is empty, so whatever it sent is already in the TCP socket ahead of ours).
 * Every other socket (long-polling, a busy connection) gets the same packets through
 * engine.io's own queue, in order. Permessage-deflate must be off (engine.io's default),
 * since these frames are not compressed.
 */
export interface RoomWriter {
  /** Sends `event` to every socket in `rooms`, encoded once; held until the batch ends. */
  emit(rooms: Iterable<string>, event: string, payload: unknown): void;
  /**
   * Runs `work` holding every emit, then writes each room's events in one write per socket.
   * Outside a batch an emit is written at once.
   */
  batch(work: () => void): void;
}

/** The parts of engine.io's (untyped) connection that decide whether the shortcut is safe. */
interface EngineConnection {
  readyState: string;
  writeBuffer: unknown[];
  transport: { name: string; socket?: { _socket?: RawSocket } };
  write(data: string, options: { wsPreEncodedFrame: Buffer[] }): void;
}

interface RawSocket {
  destroyed: boolean;
  writable: boolean;
  writableCorked: number;
  write(data: Buffer): boolean;
  cork(): void;
  uncork(): void;
}

/** The TCP socket under an engine.io connection on the websocket transport, if it has one. */
export function websocketTcpSocket(connection: unknown): RawSocket | undefined {
  const conn = connection as EngineConnection;
  return conn.transport.name === 'websocket' ? conn.transport.socket?._socket : undefined;
}

export interface Encoded {
  /** The Socket.IO packet (what engine.io sends as a message), for the queued path. */
  packet: string;
  /** The whole WebSocket text frame carrying `4<packet>`. */
  frame: Buffer;
}

/** An unmasked, final WebSocket text frame (RFC 6455 §5.2) carrying `payload`. */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81; // FIN, opcode 1 (text)
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}

/** The TCP socket to write to directly, or null when engine.io must take the packet. */
function directSocket(conn: EngineConnection): RawSocket | null {
  if (conn.readyState !== 'open' || conn.writeBuffer.length > 0) return null;
  const raw = websocketTcpSocket(conn);
  return raw && !raw.destroyed && raw.writable ? raw : null;
}

/**
 * Holds what is written to a websocket connection in its TCP socket until the returned function
 * is called, so that it leaves in one system call: a handshake's CONNECT and the answers to its
 * subscribes. Nothing is reordered (every write waits alike); other transports are left alone.
 */
export function holdWrites(connection: unknown): () => void {
  const raw = websocketTcpSocket(connection);
  if (!raw || raw.destroyed) return () => undefined;
  raw.cork();
  return () => {
    raw.uncork();
  };
}

/** Encodes `event` once, as Socket.IO would for an emit to `nsp` (protocol v5, no ack). */
export function encodeEvent(nsp: Namespace, event: string, payload: unknown): Encoded {
  // An event without an ack: `2` then, outside the main namespace, `<nsp>,`, then the JSON
  // array [event, payload].
  const head = nsp.name === '/' ? '2' : `2${nsp.name},`;
  const packet = `${head}${JSON.stringify([event, payload])}`;
  return { packet, frame: textFrame(Buffer.from(`4${packet}`)) };
}

/**
 * Writes encoded events to one connection, in order (`together`: their frames laid end to end,
 * when the caller already has them so). False when the write was held back: the TCP socket is
 * past its high-water mark, or packets are left in engine.io's queue.
 */
export function writeEncoded(
  connection: unknown,
  events: readonly Encoded[],
  together?: Buffer,
): boolean {
  const conn = connection as EngineConnection;
  const raw = directSocket(conn);
  if (raw)
    return raw.write(
      together ??
        (events.length === 1
          ? (events[0] as Encoded).frame
          : Buffer.concat(events.map((e) => e.frame))),
    );
  for (const e of events) conn.write(e.packet, { wsPreEncodedFrame: [e.frame] });
  return conn.writeBuffer.length === 0;
}

/**
 * `onBehind` hears of each connection a write was held back for: its TCP socket past its
 * high-water mark (the write returned false), or packets left in engine.io's queue. The
 * slow-consumer guard looks at those only, instead of every connection.
 */
export function createRoomWriter(
  nsp: Namespace,
  onBehind: (connection: EngineConnection) => void = () => undefined,
): RoomWriter {
  /** room → its events in this batch, in order. */
  const pending = new Map<string, Encoded[]>();
  let batching = false;

  function write(room: string, events: Encoded[]): void {
    const ids = nsp.adapter.rooms.get(room);
    if (!ids || ids.size === 0) return;
    const together =
      events.length === 1
        ? (events[0] as Encoded).frame
        : Buffer.concat(events.map((e) => e.frame));
    for (const id of ids) {
      const conn = nsp.sockets.get(id)?.conn as unknown as EngineConnection | undefined;
      if (conn && !writeEncoded(conn, events, together)) onBehind(conn);
    }
  }

  return {
    emit(rooms, event, payload) {
      const encoded = encodeEvent(nsp, event, payload);
      for (const room of rooms) {
        if (!batching) {
          write(room, [encoded]);
          continue;
        }
        const queue = pending.get(room);
        if (queue) queue.push(encoded);
        else pending.set(room, [encoded]);
      }
    },
    batch(work) {
      if (batching) {
        work();
        return;
      }
      batching = true;
      try {
        work();
      } finally {
        batching = false;
        for (const [room, events] of pending) write(room, events);
        pending.clear();
      }
    },
  };
}
