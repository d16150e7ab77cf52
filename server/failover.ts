import type { Logger } from 'pino';
import { readMasterLineage, type ChannelLog } from '../shared/domain/channel-log.js';
import { articlesOf, ingestJob, type IngestQueue } from '../shared/domain/ingest-queue.js';
import type { Keys } from '../shared/domain/keys.js';
import { connectedTo, type RedisClient } from '../shared/infra/redis.js';
import type { AcceptedJournal } from './http/accepted-journal.js';
import type { PublicDelivery } from './realtime/public-namespace.js';
import { runPeriodically } from '../shared/infra/periodic.js';
import { createMasterWatch } from './realtime/failover-watch.js';

/**
 * What a server node does when Redis fails over (SPEC §10), watched on each connection whose
 * writes a failover can undo:
 *
 * - the data connection: every channel the node caches whose log may have been rolled back
 *   gets a new epoch and an event in it, so every reader resubscribes for the service's list
 *   (channels written again get theirs from the write itself); logged as `redis.failover`;
 * - the queue connection: the articles the node accepted lately are queued again, in case the
 *   old master took them after the replica that was promoted stopped copying (`ingest.requeued`).
 *
 * When to look: at once whenever either connection is ready again (a reconnect: how a Sentinel
 * failover or a restart reaches a client) or a Cluster client has refreshed its slot map (how a
 * Cluster failover reaches it), and every `intervalMs` as well, for a change that came some other
 * way. Both connections are read at the same tick, so an idle node wakes once per tick for them.
 * Checks do not overlap: a wake-up during one runs another right after it.
 */
export interface FailoverWatch {
  start(): void;
  stop(): void;
}

export interface FailoverRepairsDeps {
  redis: RedisClient;
  keys: Keys;
  channelLog: ChannelLog;
  delivery: Pick<PublicDelivery, 'shown'>;
  queue: IngestQueue;
  /** The connection the queue writes through (`createIngestQueue`'s). */
  queueRedis: RedisClient;
  journal: AcceptedJournal;
  logger: Logger;
  /** How often both connections' lineage is read besides the wake-ups (2 s). */
  intervalMs?: number;
}

export function watchForFailovers(deps: FailoverRepairsDeps): FailoverWatch {
  const { redis, keys, channelLog, delivery, queue, queueRedis, journal, logger } = deps;

  const data = createMasterWatch({
    read: () => channelLog.masterLineage(),
    async onChange({ lineage, unreachableMs }) {
      let renewed = 0;
      for (const [channel, shown] of delivery.shown()) {
        if (await channelLog.reconcile(channel, shown)) renewed++;
      }
      // A master restarted from its files (not promoted) kept its history: nothing to tell.
      if (!lineage.promoted) return;
      logger.warn(
        {
          event: 'redis.failover',
          master: connectedTo(redis),
          unreachableMs,
          channelsRenewed: renewed,
        },
        'Redis failed over to a promoted replica; channels that may have lost events got a new epoch',
      );
    },
  });

  const queued = createMasterWatch({
    // The queue's own connection (on a Cluster, the master of the `{queue}` slot): the key only
    // routes the call there.
    read: () => readMasterLineage(queueRedis, keys.queueSlot),
    async onChange() {
      const jobs = journal.recent();
      if (jobs.length === 0) return;
      await queue.addBulk(jobs.map(ingestJob));
      const articles = jobs.flatMap(articlesOf);
      // Info, not a warning: a master restarted from its files is a new master too, and
      // `redis.failover` (or the outage's own lines) is what an operator acts on.
      logger.info(
        {
          event: 'ingest.requeued',
          jobs: jobs.length,
          articles: articles.length,
          postIds: articles.slice(-50).map((article) => article.id),
        },
        'queued the articles accepted lately again: the failover may have lost them (storing is idempotent)',
      );
    },
  });

  const checkBoth = async (): Promise<void> => {
    // One connection's failure must not keep the other's check from running.
    const checks = await Promise.allSettled([data.check(), queued.check()]);
    const failed = checks.find((c) => c.status === 'rejected');
    if (failed) throw failed.reason;
  };
  const onError = (err: unknown): void => {
    // Redis away: the health tracker says so once; the next answer ends the wait.
    logger.debug({ event: 'failover_watch.failed', err }, 'could not read the master');
  };
  let checking: Promise<void> | undefined;
  let again = false;
  const check = (): Promise<void> => {
    if (checking) {
      again = true;
      return checking;
    }
    checking = checkBoth().finally(() => {
      checking = undefined;
      if (again) {
        again = false;
        check().catch(onError);
      }
    });
    return checking;
  };
  const wake = (): void => {
    check().catch(onError);
  };
  const connections = [...new Set([redis, queueRedis])];
  let stop: (() => void) | undefined;
  return {
    start() {
      if (stop) return;
      for (const connection of connections) connection.on('ready', wake).on('refresh', wake);
      const stopTicks = runPeriodically(check, deps.intervalMs ?? 2000, onError, {
        immediately: true,
      });
      stop = () => {
        stopTicks();
        for (const connection of connections) connection.off('ready', wake).off('refresh', wake);
      };
    },
    stop() {
      stop?.();
      stop = undefined;
    },
  };
}
