import type { Logger } from 'pino';
import type { Queue } from 'bullmq';
import { runPeriodically } from '../../shared/infra/periodic.js';
import type { QueueStats } from '../../shared/contract/protocol.js';
import { readQueueStats } from '../../shared/domain/queue-stats.js';
import type { RedisHealth } from '../../shared/infra/redis-health.js';

export interface QueueStatsLogOptions {
  /** Each gets its own line (the ingest queue and the poll queue). */
  queues: readonly Queue[];
  logger: Logger;
  health: RedisHealth;
  intervalMs?: number;
  /** Past this, the line is a warning: the queue is falling behind. */
  oldestWaitingWarnMs?: number;
  /** Also hands each round's figures on (to the dashboards' history); must not throw or wait. */
  record?: (stats: readonly QueueStats[]) => void;
}

/** Logs `queue.stats` every interval (SPEC §8: every 30 s); a warning when jobs wait too long. */
export function logQueueStats({
  queues,
  logger,
  health,
  intervalMs = 30_000,
  oldestWaitingWarnMs = 60_000,
  record,
}: QueueStatsLogOptions): () => void {
  const report = async (): Promise<void> => {
    const all = await Promise.all(queues.map((queue) => readQueueStats(queue)));
    record?.(all);
    for (const stats of all) {
      const behind = stats.oldestWaitingMs > oldestWaitingWarnMs;
      logger[behind ? 'warn' : 'info'](
        { event: 'queue.stats', ...stats },
        behind ? 'the queue is falling behind' : 'queue stats',
      );
    }
  };
  return runPeriodically(
    report,
    intervalMs,
    health.absorbOr('queue-stats', (err) => {
      logger.debug({ event: 'queue.stats_failed', err }, 'could not read queue stats');
    }),
  );
}
