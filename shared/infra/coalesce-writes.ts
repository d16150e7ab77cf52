import type { Redis } from 'ioredis';

/**
 * Group commit for a Redis connection: the commands written during one turn of the event
 * loop leave in one write at the end of that turn, however many requests or jobs issued them.
 *
 * Why: Redis runs beside Khabar, often on the same cores, and on a busy node each write is
 * a system call that wakes Redis for a single command. ioredis's own auto-pipelining
 * batches the same way, but it builds a pipeline per batch, and a pipeline copies every
 * script defined on the connection (BullMQ defines about 60): that costs more than it saves.
 * Corking the socket until `setImmediate` only holds the bytes back, within the same turn.
 */
export function coalesceWrites(redis: Redis): void {
  redis.on('connect', () => {
    // A new socket on every (re)connection.
    const stream = redis.stream;
    const write = stream.write.bind(stream);
    let corked = false;
    const flush = (): void => {
      corked = false;
      stream.uncork();
    };
    stream.write = ((...args: Parameters<typeof write>) => {
      if (!corked) {
        corked = true;
        stream.cork();
        setImmediate(flush);
      }
      return write(...args);
    }) as typeof stream.write;
  });
}
