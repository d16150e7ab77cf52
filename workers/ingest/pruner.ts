import type { Logger } from 'pino';
import type { ChannelLog } from '../../shared/domain/channel-log.js';

/**
 * Deletes the posts that jobs pushed out of their lists, a batch at a time: once a channel's list
 * is full (most of the time, for a busy channel), every new post trims one, and pruning it in its
 * job was three more round trips per article (the backlog, the post's channels, the script):
 * batched, the worker's CPU per article in batches of 100 went from 401 to 180 µs
 * (`npm run bench -- --only ingest --rounds 1`).
 * A post lives while some channel shows it, and no list shows a trimmed one: deleting it up to
 * `intervalMs` later changes nothing a reader sees. What a batch leaves (the process stops, Redis
 * is away) stays in the script's set of trimmed ids, and the next prune takes it from there.
 */
export interface Pruner {
  /** Ids a store trimmed: pruned within `intervalMs`. */
  add(ids: readonly string[]): void;
  /** Prunes what is waiting now; resolves when that is done. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createPruner(
  channelLog: Pick<ChannelLog, 'prune'>,
  logger: Logger,
  intervalMs = 500,
): Pruner {
  let waiting = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let closed = false;

  const flush = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (waiting.size === 0) return running;
    const ids = [...waiting];
    waiting = new Set();
    // One batch at a time: the next waits for the one before.
    running = running
      .then(() => channelLog.prune(ids))
      .then(
        () => undefined,
        (err: unknown) => {
          // The ids are in Redis's set of trimmed posts still: a later prune takes them.
          logger.debug({ event: 'prune.failed', err, posts: ids.length }, 'could not prune');
        },
      );
    return running;
  };

  return {
    add(ids) {
      if (ids.length === 0) return;
      if (closed) {
        void channelLog.prune(ids).catch(() => undefined);
        return;
      }
      for (const id of ids) waiting.add(id);
      // Armed only while something waits: an idle worker has no timer for it.
      timer ??= setTimeout(() => void flush(), intervalMs);
      timer.unref();
    },
    flush,
    async close() {
      closed = true;
      await flush();
    },
  };
}
