import type { Logger } from 'pino';
import type { Server } from 'socket.io';

/**
 * Drops connections that stopped reading (SPEC §7.5), so no reader can make the server's
 * memory grow without bound. A connection is dropped when its unsent data is over the limit
 * and has not shrunk since the previous sweep: a client receiving a large answer (a replay
 * of many events) drains it and is left alone, one that stalls is gone within two sweeps.
 * One sweep over every connection per interval (no per-socket timers); a dropped client
 * reconnects and resumes from its cursor, so it loses nothing.
 *
 * Unsent data sits in two places: engine.io's write buffer (packets waiting while the
 * transport is busy, or for the next long-poll) and, for websockets, the `ws` socket's
 * own buffer (bytes handed to it but not yet to the kernel).
 */

/** The parts of engine.io's (untyped) socket internals that hold unsent data. */
interface EngineSocketInternals {
  id: string;
  writeBuffer: { data?: unknown }[];
  transport: { name: string; socket?: { bufferedAmount?: number; terminate?: () => void } };
  close(discard?: boolean): void;
  once(event: 'close', listener: (this: EngineSocketInternals) => void): void;
}

function packetBytes(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

export function unsentBytes(socket: EngineSocketInternals): number {
  let bytes = socket.transport.socket?.bufferedAmount ?? 0;
  for (const packet of socket.writeBuffer) bytes += packetBytes(packet.data);
  return bytes;
}

export interface SlowConsumerGuardOptions {
  io: Server;
  limitBytes: number;
  logger: Logger;
  intervalMs?: number;
  /** Called for each dropped connection (metrics). */
  onDrop?: () => void;
}

export function guardSlowConsumers({
  io,
  limitBytes,
  logger,
  // A sweep over 10k connections costs a few ms: four a second were 3% of a core with
  // nothing to send; two keep a stalled reader's backlog to about a second of its traffic.
  intervalMs = 500,
  onDrop,
}: SlowConsumerGuardOptions): () => void {
  /** Unsent bytes at the last sweep, for the connections that were over the limit then. */
  const overLimit = new Map<string, number>();
  // Every open connection, in a set of our own: engine.io keeps them in an object keyed by
  // id, and enumerating 10k keys with for-in cost about three times the checks themselves.
  const open = new Set<EngineSocketInternals>();
  // One function for every socket (`this` is the socket), not a closure each.
  function forget(this: EngineSocketInternals): void {
    open.delete(this);
  }
  const track = (socket: EngineSocketInternals): void => {
    open.add(socket);
    socket.once('close', forget);
  };
  const engine = io.engine as unknown as {
    clients: Record<string, EngineSocketInternals>;
    on(event: 'connection', listener: (socket: EngineSocketInternals) => void): void;
    off(event: 'connection', listener: (socket: EngineSocketInternals) => void): void;
  };
  for (const socket of Object.values(engine.clients)) track(socket);
  engine.on('connection', track);
  const sweep = (): void => {
    const seen = new Set<string>();
    for (const socket of open) {
      const bytes = unsentBytes(socket);
      if (bytes <= limitBytes) continue;
      seen.add(socket.id);
      const before = overLimit.get(socket.id);
      overLimit.set(socket.id, bytes);
      if (before === undefined || bytes < before) continue; // draining: give it time
      overLimit.delete(socket.id);
      logger.warn(
        {
          event: 'socket.dropped_slow',
          engineId: socket.id,
          transport: socket.transport.name,
          unsentBytes: bytes,
          limitBytes,
        },
        'dropped a connection that stopped reading',
      );
      // Discard what is queued, and do not wait for a close handshake it will not read.
      socket.close(true);
      socket.transport.socket?.terminate?.();
      onDrop?.();
    }
    for (const id of overLimit.keys()) if (!seen.has(id)) overLimit.delete(id);
  };
  const timer = setInterval(sweep, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    engine.off('connection', track);
  };
}
