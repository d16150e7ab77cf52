import type { Logger } from 'pino';
import {
  CANARY_JOB,
  type IngestQueue,
  type IngestQueueJob,
} from '../../shared/domain/ingest-queue.js';
import { runPeriodically } from '../../shared/infra/periodic.js';
import type { RedisHealth } from '../../shared/infra/redis-health.js';

/**
 * Proves that the ingest queue is really consumed. A worker can look alive and still take
 * nothing (BullMQ workers have been seen to stay silent after a Redis restart), so every
 * interval each worker process queues a canary job and checks the previous one. A canary
 * still waiting a whole interval later, while this process's worker did nothing at all in
 * that time, means a silent worker: it is logged as an error and replaced. A canary that
 * waits behind a backlog the worker is busy with is not a stall.
 */
export interface CanaryDeps {
  queue: IngestQueue;
  nodeId: string;
  intervalMs: number;
  logger: Logger;
  health: RedisHealth;
  /** When this process's worker last started or finished a job (ms). */
  lastActivityAt: () => number;
  /** Replaces the silent worker with a new one. */
  restartWorker: () => void;
  now?: () => number;
}

const WAITING = new Set(['waiting', 'prioritized', 'waiting-children']);

export function startCanary({
  queue,
  nodeId,
  intervalMs,
  logger,
  health,
  lastActivityAt,
  restartWorker,
  now = Date.now,
}: CanaryDeps): () => void {
  let pending: IngestQueueJob | undefined;

  async function check(): Promise<void> {
    if (pending) {
      const state = await pending.getState();
      if (WAITING.has(state)) {
        const waitedMs = now() - pending.timestamp;
        if (now() - lastActivityAt() < intervalMs) return; // busy with a backlog: wait more
        logger.error(
          { event: 'queue.canary_stalled', queue: queue.name, jobId: pending.id, waitedMs },
          'workers are running but not consuming the queue; restarting this worker',
        );
        restartWorker();
        return; // the same canary proves the new worker next time
      }
    }
    pending = await queue.add(
      CANARY_JOB,
      { canary: nodeId },
      { attempts: 1, removeOnComplete: true, removeOnFail: true },
    );
  }

  return runPeriodically(
    check,
    intervalMs,
    health.absorbOr('canary', (err) => {
      logger.debug({ event: 'queue.canary_failed', err }, 'canary check failed');
    }),
  );
}
