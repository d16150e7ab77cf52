import type { Queue } from 'bullmq';
import type { QueueStats } from '../contract/protocol.js';

/**
 * Where a BullMQ queue stands (SPEC §6 `queue:stats`, §8 `queue.stats`): read by workers for
 * their log lines and by server nodes for the dashboards. Four Redis round trips, at once.
 */
export async function readQueueStats(queue: Queue, now = Date.now()): Promise<QueueStats> {
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
    // BullMQ's per-minute metrics (workers record them): the last full minute.
    completedPerMinute: metrics.data[0] ?? 0,
    oldestWaitingMs: first ? Math.max(0, now - first.timestamp) : 0,
  };
}
