import type { Logger } from 'pino';
import type { Namespace } from 'socket.io';

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
  /** Every namespace clients join: their sockets are the connections to watch. */
  namespaces: readonly Namespace[];
  limitBytes: number;
  logger: Logger;
  intervalMs?: number;
  /** Called for each dropped connection (metrics). */
  onDrop?: () => void;
}

export function guardSlowConsumers({
  namespaces,
  limitBytes,
  logger,
  // A sweep over 10k connections costs a few ms: four a second were 3% of a core with
  // nothing to send; two keep a stalled reader's backlog to about a second of its traffic.
  intervalMs = 500,
  onDrop,
}: SlowConsumerGuardOptions): () => void {
  /** For the connections over the limit at their last check: unsent bytes then, and which sweep. */
  const overLimit = new Map<string, { bytes: number; sweep: number }>();
  let sweeps = 0;
  const check = (socket: EngineSocketInternals): void => {
    const bytes = unsentBytes(socket);
    if (bytes <= limitBytes) return;
    const before = overLimit.get(socket.id);
    // A connection in two namespaces is met twice in one sweep: once is its check.
    if (before?.sweep === sweeps) return;
    overLimit.set(socket.id, { bytes, sweep: sweeps });
    if (before === undefined || bytes < before.bytes) return; // draining: give it time
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
  };
  const sweep = (): void => {
    sweeps += 1;
    // The namespaces' own maps of sockets, not engine.io's object of connections: walking a
    // Map is about four times cheaper than for-in over 10k keys, and needs no state per socket.
    // A connection that joined no namespace has no events to be sent.
    for (const nsp of namespaces)
      for (const socket of nsp.sockets.values())
        check(socket.conn as unknown as EngineSocketInternals);
    for (const [id, entry] of overLimit) if (entry.sweep !== sweeps) overLimit.delete(id);
  };
  const timer = setInterval(sweep, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
