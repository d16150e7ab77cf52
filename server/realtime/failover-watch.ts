import type { Logger } from 'pino';
import type { ChannelLog, MasterLineage } from '../../shared/domain/channel-log.js';
import { runPeriodically } from '../../shared/infra/periodic.js';
import type { ChannelCache } from './channel-cache.js';

/**
 * Each server node's eye on the Redis master. Redis replicates asynchronously, so a failover can
 * lose events this node already pushed: its readers then show posts the service no longer has,
 * in channels that may never be written again. A channel that is written again gets a new epoch
 * from the write itself (see lua/includes/append-event.lua); for the others, this watch notices
 * that the master changed (its replication id) and reconciles every channel the node caches:
 * each one whose log may have been rolled back gets a new epoch and an event in it, which sends
 * every reader (on every node) back for a snapshot.
 *
 * It logs `redis.failover` with how long Khabar's data could not be reached: from the last answer
 * of the old master to the first of the new one (to within one interval).
 */
export interface FailoverWatch {
  start(): void;
  stop(): void;
}

export interface FailoverWatchOptions {
  channelLog: ChannelLog;
  cache: Pick<ChannelCache, 'shown'>;
  logger: Logger;
  /** Where this node's connection is now, for the log (`host:port`). */
  master: () => string | undefined;
  /** How often the master's replication id is read. */
  intervalMs?: number;
  now?: () => number;
}

export function createFailoverWatch({
  channelLog,
  cache,
  logger,
  master,
  intervalMs = 500,
  now = Date.now,
}: FailoverWatchOptions): FailoverWatch {
  let known: MasterLineage | undefined;
  let lastAnswerAt = 0;
  let stop: (() => void) | undefined;

  async function reconcileAll(): Promise<number> {
    let renewed = 0;
    for (const [channel, shown] of cache.shown()) {
      if (await channelLog.reconcile(channel, shown)) renewed++;
    }
    return renewed;
  }

  async function check(): Promise<void> {
    const lineage = await channelLog.masterLineage();
    const at = now();
    if (known && known.replid !== lineage.replid) {
      // A restarted master (not promoted) kept its history: reconciling only records its id.
      // If this fails, `known` stays the old master's and the next check tries again.
      const renewed = await reconcileAll();
      if (lineage.promoted) {
        logger.warn(
          {
            event: 'redis.failover',
            master: master(),
            unreachableMs: at - lastAnswerAt,
            channelsRenewed: renewed,
          },
          'Redis failed over to a promoted replica; channels that may have lost events got a new epoch',
        );
      }
    }
    known = lineage;
    lastAnswerAt = at;
  }

  return {
    start() {
      stop ??= runPeriodically(
        check,
        intervalMs,
        (err: unknown) => {
          // Redis away: the health tracker says so once; the next answer ends the wait.
          logger.debug({ event: 'failover_watch.failed', err }, 'could not read the master');
        },
        { immediately: true },
      );
    },
    stop() {
      stop?.();
      stop = undefined;
    },
  };
}
