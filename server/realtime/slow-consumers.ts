import type { Logger } from 'pino';
import type { Namespace } from 'socket.io';

/**
 * Drops connections that stopped reading (SPEC §7.5), so no reader can make the server's
 * memory grow without bound. A connection is dropped when its unsent data is over the limit
 * and has not shrunk since the previous sweep: a client receiving a large answer (a replay
 * of many events) drains it and is left alone, one that stalls is gone within two sweeps.
 * One sweep per interval (no per-socket timers), and only while there is something to look at;
 * a dropped client reconnects and resumes from its cursor, so it loses nothing.
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
  /**
   * Namespaces whose every connection is checked at each sweep: the few dashboards, whose
   * events Socket.IO writes. Readers' connections are checked only when reported `behind`.
   */
  sweptWhole: readonly Namespace[];
  limitBytes: number;
  logger: Logger;
  intervalMs?: number;
  /** Called for each dropped connection (metrics). */
  onDrop?: () => void;
}

export interface SlowConsumerGuard {
  /**
   * A write to this connection was held back (its socket past its high-water mark, or packets
   * left in engine.io's queue): check it at the next sweep, and at each one after while it
   * stays over the limit.
   */
  behind: (connection: unknown) => void;
  /** Whether a sweep is due: false while nothing is behind and no swept-whole namespace is used. */
  readonly sweeping: boolean;
  start(): void;
  stop(): void;
}

/**
 * Only connections that have fallen behind are looked at: unsent data grows only by writes,
 * and every write to a reader goes through the room writer, which reports the ones held back.
 * A sweep with nothing behind costs nothing, however many readers are connected (it read every
 * socket's buffers twice a second before: most of the idle CPU at 10k subscribers). The timer
 * itself runs only while a connection is suspect or over the limit, or a swept-whole namespace
 * has connections: on this VM each wake-up of an idle process costs ~0.1 ms, whatever it does.
 */
export function createSlowConsumerGuard({
  sweptWhole,
  limitBytes,
  logger,
  // Two sweeps a second keep a stalled reader's backlog to about a second of its traffic.
  intervalMs = 500,
  onDrop,
}: SlowConsumerGuardOptions): SlowConsumerGuard {
  /** For the connections over the limit at their last check: unsent bytes then, and which sweep. */
  const overLimit = new Map<EngineSocketInternals, { bytes: number; sweep: number }>();
  /** Connections reported behind since the last sweep. */
  let suspects = new Set<EngineSocketInternals>();
  let sweeps = 0;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  const check = (socket: EngineSocketInternals): void => {
    const bytes = unsentBytes(socket);
    if (bytes <= limitBytes) return;
    const before = overLimit.get(socket);
    // A connection met twice in one sweep (two namespaces, or a suspect over the limit): once
    // is its check.
    if (before?.sweep === sweeps) return;
    overLimit.set(socket, { bytes, sweep: sweeps });
    if (before === undefined || bytes < before.bytes) return; // draining: give it time
    overLimit.delete(socket);
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
    const behind = suspects;
    suspects = new Set();
    for (const socket of behind) check(socket);
    for (const socket of [...overLimit.keys()]) check(socket);
    // The namespaces' own maps of sockets, not engine.io's object of connections: walking a
    // Map is about four times cheaper than for-in over many keys.
    for (const nsp of sweptWhole)
      for (const socket of nsp.sockets.values())
        check(socket.conn as unknown as EngineSocketInternals);
    for (const [socket, entry] of overLimit) if (entry.sweep !== sweeps) overLimit.delete(socket);
  };
  const needed = (): boolean =>
    suspects.size > 0 || overLimit.size > 0 || sweptWhole.some((nsp) => nsp.sockets.size > 0);
  const arm = (): void => {
    if (!started || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      sweep();
      if (needed()) arm();
    }, intervalMs);
    timer.unref();
  };
  return {
    behind: (connection) => {
      suspects.add(connection as EngineSocketInternals);
      arm();
    },
    get sweeping() {
      return timer !== undefined;
    },
    start() {
      if (started) return;
      started = true;
      for (const nsp of sweptWhole) nsp.on('connection', arm);
      if (needed()) arm();
    },
    stop() {
      started = false;
      for (const nsp of sweptWhole) nsp.off('connection', arm);
      clearTimeout(timer);
      timer = undefined;
      suspects.clear();
      overLimit.clear();
    },
  };
}
