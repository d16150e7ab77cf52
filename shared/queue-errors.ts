import type { Queue } from 'bullmq';
import type { Logger } from 'pino';

/**
 * Keeps a queue's connection errors out of the way: the connection itself logs trouble with
 * Redis (`redis.unavailable`), and requests answer 503 meanwhile, so each queue's copy of the
 * same error is only worth a debug line. (Unhandled, an 'error' event would crash the process.)
 */
export function logQueueErrorsQuietly(queues: readonly Queue[], logger: Logger): void {
  for (const queue of queues) {
    queue.on('error', (err) => {
      logger.debug(
        { event: 'queue.error', queue: queue.name, err: { message: err.message } },
        'queue connection problem',
      );
    });
  }
}
