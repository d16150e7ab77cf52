import type { Logger } from 'pino';
import type { RedisHealth } from './redis-health.js';

/** What BullMQ's Queue, Worker and QueueEvents have in common for errors. */
interface ErrorEmitter {
  readonly name: string;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * Routes a BullMQ object's 'error' events. Each Queue and Worker re-emits its connection's
 * errors (and a Worker those of its own blocking connection) at every retry: those go to the
 * process's {@link RedisHealth}, which reports the outage once. Anything else is an error line.
 * (Unhandled, an 'error' event would crash the process.)
 */
export function reportQueueErrors(
  emitters: readonly ErrorEmitter[],
  kind: 'queue' | 'worker',
  health: RedisHealth,
  logger: Logger,
): void {
  for (const emitter of emitters) {
    emitter.on('error', (err) => {
      if (health.absorb(`${kind}:${emitter.name}`, err)) return;
      logger.error({ event: `${kind}.error`, queue: emitter.name, err }, `${kind} error`);
    });
  }
}
