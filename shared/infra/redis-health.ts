import type { RedisClient } from './redis.js';
import type { Logger } from 'pino';

/**
 * One per process: whether Redis is reachable, and the only component that says so in the log.
 *
 * During an outage every connection retries every 2 s, and every BullMQ worker and queue, HTTP
 * request, socket subscribe and periodic job fails too, each with the same message. Logged one
 * by one that was 128 `worker.error` lines with stacks a minute, hiding anything else. Instead
 * each of them hands its connection-class errors here: the first opens an outage (one
 * `redis.unavailable` warning), the rest are counted (a debug line each), and when every
 * connection is ready again and nothing has failed for `settleMs`, one `redis.reconnected`
 * line closes it with the duration and the counts. Errors of any other kind are not ours:
 * callers log them as before.
 */
export interface RedisHealth {
  /** Whether no outage is open. */
  readonly reachable: boolean;
  /**
   * Follows a connection: its failed attempts count towards the outage, and an outage ends only
   * once every followed connection (not closed on purpose) is ready.
   */
  watch(redis: RedisClient, name: string): void;
  /**
   * Takes `err` from `source` (e.g. `worker:ingest`, `http`) when it is a connection problem,
   * and says so; `false` means it is some other error, for the caller to log.
   */
  absorb(source: string, err: unknown): boolean;
  /** An error callback that hands connection problems to {@link absorb} and the rest to `otherwise`. */
  absorbOr(source: string, otherwise: (err: unknown) => void): (err: unknown) => void;
  /** Stops logging: failures while the process shuts down are expected, not an outage. */
  close(): void;
}

export interface RedisHealthOptions {
  logger: Logger;
  /**
   * How long every connection must be ready with no failure before the outage counts as over:
   * errors already on their way (a BullMQ worker's own connection, a request that started
   * before) then belong to the outage they came from instead of opening a new one.
   */
  settleMs?: number;
  /**
   * How long the `redis.unavailable` line waits after the first failure, so that it names every
   * connection the outage took: when Redis goes away, each connection of the process hears of it
   * on its own, and the first to speak (a BullMQ worker's own connection, say) is often not one
   * this component follows.
   */
  announceAfterMs?: number;
  now?: () => number;
}

/** Thrown when Redis does not answer in time: it counts as unreachable, not as a bug. */
export class RedisTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Redis did not answer within ${timeoutMs} ms`);
    this.name = 'RedisTimeoutError';
  }
}

/** Socket errors of a host that cannot be reached or went away. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTCONN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** ioredis's MaxRetriesPerRequestError, BullMQ's ConnectionClosedError, and ours above. */
const CONNECTION_ERROR_NAMES = new Set([
  'MaxRetriesPerRequestError',
  'ConnectionClosedError',
  'RedisTimeoutError',
]);
/** ioredis reports these with a plain Error; LOADING is a Redis restarting from its files. */
const CONNECTION_MESSAGES: readonly RegExp[] = [
  /^Connection is closed\.?$/,
  /^Stream isn't writeable/,
  /^Command timed out$/,
  /^LOADING /,
];

function field(err: object, name: string): unknown {
  return (err as Record<string, unknown>)[name];
}

/**
 * Whether `err` (or what it wraps: `cause`, or the attempts of an AggregateError such as
 * Node's connect to every address of `localhost`) says Redis could not be reached.
 */
export function isConnectionError(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 3) return false;
  const code = field(err, 'code');
  const name = field(err, 'name');
  const message = field(err, 'message');
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  if (typeof name === 'string' && CONNECTION_ERROR_NAMES.has(name)) return true;
  if (typeof message === 'string' && CONNECTION_MESSAGES.some((re) => re.test(message)))
    return true;
  const errors = field(err, 'errors');
  if (Array.isArray(errors) && errors.some((e) => isConnectionError(e, depth + 1))) return true;
  return isConnectionError(field(err, 'cause'), depth + 1);
}

/** The message and code only: the same stack thousands of times tells nothing more. */
function brief(err: unknown): { message: string; code?: string } {
  if (typeof err !== 'object' || err === null) return { message: String(err) };
  const message = field(err, 'message');
  const code = field(err, 'code');
  return {
    message: typeof message === 'string' ? message : Object.prototype.toString.call(err),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

interface Outage {
  startedAt: number;
  lastFailureAt: number;
  /** When the last connection became ready again. */
  lastReadyAt: number;
  failedAttempts: number;
  /** Failures by source: connection names and components. */
  failures: Map<string, number>;
  /** Followed connections that failed during the outage. */
  lost: Set<string>;
  /** The first failure, for the `redis.unavailable` line; undefined once that line is out. */
  unannounced?: { source: string; err: { message: string; code?: string } };
}

export function createRedisHealth({
  logger,
  settleMs = 1000,
  announceAfterMs = 100,
  now = Date.now,
}: RedisHealthOptions): RedisHealth {
  const connections = new Map<string, RedisClient>();
  let outage: Outage | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  /** Every followed connection is ready, or was closed on purpose (then it holds nothing open). */
  const allReady = (): boolean =>
    [...connections.values()].every((c) => c.status === 'ready' || c.status === 'end');
  const down = (): string[] =>
    [...connections].filter(([, c]) => c.status !== 'ready' && c.status !== 'end').map(([n]) => n);

  function announce(): void {
    if (!outage?.unannounced || closed) return;
    const { source, err } = outage.unannounced;
    outage.unannounced = undefined;
    logger.warn(
      {
        event: 'redis.unavailable',
        source,
        connections: [...new Set([...down(), ...outage.lost])],
        err,
      },
      'Redis is unreachable; retrying quietly until it is back',
    );
  }

  function check(): void {
    timer = undefined;
    if (!outage || closed || !allReady()) return; // a connection's 'ready' checks again
    const quietMs = now() - outage.lastFailureAt;
    if (quietMs < settleMs) {
      schedule(settleMs - quietMs);
      return;
    }
    announce();
    const { startedAt, lastFailureAt, lastReadyAt, failedAttempts, failures, lost } = outage;
    outage = undefined;
    logger.info(
      {
        event: 'redis.reconnected',
        durationMs: Math.max(lastFailureAt, lastReadyAt) - startedAt,
        failedAttempts,
        failures: Object.fromEntries(failures),
        connections: [...lost],
      },
      'Redis is reachable again',
    );
  }

  function schedule(delayMs: number): void {
    if (timer) return;
    timer = setTimeout(check, delayMs);
    timer.unref();
  }

  function fail(source: string, err: unknown, connection?: string): void {
    if (closed) return;
    const at = now();
    if (!outage) {
      outage = {
        startedAt: at,
        lastFailureAt: at,
        lastReadyAt: at,
        failedAttempts: 0,
        failures: new Map(),
        lost: new Set(),
        unannounced: { source, err: brief(err) },
      };
      setTimeout(announce, announceAfterMs).unref();
    }
    outage.lastFailureAt = at;
    outage.failedAttempts += 1;
    outage.failures.set(source, (outage.failures.get(source) ?? 0) + 1);
    if (connection) outage.lost.add(connection);
    logger.debug({ event: 'redis.attempt_failed', source, err: brief(err) }, 'Redis still away');
    schedule(settleMs);
  }

  function absorb(source: string, err: unknown): boolean {
    if (!isConnectionError(err)) return false;
    fail(source, err);
    return true;
  }

  return {
    get reachable() {
      return outage === undefined;
    },
    watch(redis, name) {
      connections.set(name, redis);
      let lastOddError: string | undefined;
      redis.on('error', (err: Error) => {
        fail(name, err, name);
        // Not a network problem (a wrong password, say): retrying will not fix it, so it is an
        // error line, once per distinct message rather than at every retry.
        if (isConnectionError(err) || closed || err.message === lastOddError) return;
        lastOddError = err.message;
        logger.error(
          { event: 'redis.error', connection: name, err },
          'Redis refused the connection',
        );
      });
      redis.on('ready', () => {
        lastOddError = undefined;
        if (!outage) return;
        outage.lastReadyAt = now();
        schedule(0);
      });
      redis.on('end', () => {
        if (outage) schedule(0);
      });
    },
    absorb,
    absorbOr(source, otherwise) {
      return (err) => {
        if (!absorb(source, err)) otherwise(err);
      };
    },
    close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
