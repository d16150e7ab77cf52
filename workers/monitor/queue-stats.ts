import type { Logger } from 'pino';
import type { IngestQueue } from '../../shared/ingest-queue.js';
import { runPeriodically } from '../../shared/periodic.js';

/** SPEC §6/§8 `queue.stats`: where the queue stands, for logs now and the dashboard later. */
export interface QueueStats {
  queue: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  /** Jobs completed in the last full minute (BullMQ's per-minute metrics). */
  completedPerMinute: number;
  /** Age of the oldest job still waiting; 0 when none waits. */
  oldestWaitingMs: number;
}

export async function readQueueStats(queue: IngestQueue, now = Date.now()): Promise<QueueStats> {
  const [counts, metrics, oldest] = await Promise.all([
    queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'),
    queue.getMetrics('completed', 0, 0),
    queue.getJobs(['waiting', 'prioritized'], 0, 0, true),
  ]);
  const first = oldest[0];
  return {
    queue: queue.name,
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    failed: counts.failed ?? 0,
    completedPerMinute: metrics.data[0] ?? 0,
    oldestWaitingMs: first ? Math.max(0, now - first.timestamp) : 0,
  };
}

export interface QueueStatsLogOptions {
  queue: IngestQueue;
  logger: Logger;
  intervalMs?: number;
  /** Past this, the line is a warning: the queue is falling behind. */
  oldestWaitingWarnMs?: number;
}

/** Logs `queue.stats` every interval (SPEC §8: every 30 s); a warning when jobs wait too long. */
export function logQueueStats({
  queue,
  logger,
  intervalMs = 30_000,
  oldestWaitingWarnMs = 60_000,
}: QueueStatsLogOptions): () => void {
  const report = async (): Promise<void> => {
    const stats = await readQueueStats(queue);
    const behind = stats.oldestWaitingMs > oldestWaitingWarnMs;
    logger[behind ? 'warn' : 'info'](
      { event: 'queue.stats', ...stats },
      behind ? 'the queue is falling behind' : 'queue stats',
    );
  };
  return runPeriodically(report, intervalMs, (err) => {
    logger.debug({ event: 'queue.stats_failed', err }, 'could not read queue stats');
  });
}
