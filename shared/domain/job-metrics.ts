import type { RedisClient } from '../infra/redis.js';
import type { Keys } from './keys.js';
import { runPeriodically } from '../infra/periodic.js';

/**
 * Job metrics measured in worker processes and served by every server node's `/metrics`.
 * Workers have no HTTP port of their own, so each keeps its counts in memory and adds them to
 * one Redis hash every few seconds (nothing when nothing happened); a scrape reads the hash.
 * The series are cluster-wide, like `khabar_queue_jobs`: every node serves the same numbers.
 */

/** Upper bounds (seconds) of the job duration histogram's buckets. */
export const JOB_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export type JobOutcome = 'completed' | 'failed';

export interface JobMetricsRecorder {
  /** Counts one finished attempt; `final` for a failure that will not be retried by itself. */
  observe(queue: string, outcome: JobOutcome, durationMs: number, final?: boolean): void;
  /** Adds what was counted since the last flush to Redis. */
  flush(): Promise<void>;
  start(): void;
  /** Stops the timer and flushes one last time. */
  stop(): Promise<void>;
}

/** Histogram of one queue and outcome, as the hash holds it (bucket counts not cumulative). */
export interface DurationCounts {
  queue: string;
  outcome: JobOutcome;
  /** Per bucket of JOB_DURATION_BUCKETS, then one for +Inf. */
  buckets: number[];
  count: number;
  sumSeconds: number;
}

export interface JobMetricsSnapshot {
  durations: DurationCounts[];
  /** Failed attempts of each queue, split by whether they were final. */
  failures: { queue: string; final: boolean; count: number }[];
}

/** Hash fields are `<queue>|<outcome>|<what>`; queue names are ours ("ingest", "poll"). */
const field = (...parts: (string | number)[]): string => parts.join('|');

function bucketOf(seconds: number): number {
  const index = JOB_DURATION_BUCKETS.findIndex((bound) => seconds <= bound);
  return index === -1 ? JOB_DURATION_BUCKETS.length : index;
}

export function createJobMetricsRecorder(
  redis: RedisClient,
  keys: Keys,
  onError: (err: unknown) => void,
  intervalMs = 5000,
): JobMetricsRecorder {
  let counts = new Map<string, number>();
  let sums = new Map<string, number>();
  let stopTimer: (() => void) | undefined;

  const add = (map: Map<string, number>, key: string, by: number): void => {
    map.set(key, (map.get(key) ?? 0) + by);
  };

  const recorder: JobMetricsRecorder = {
    observe(queue, outcome, durationMs, final = false) {
      const seconds = Math.max(0, durationMs) / 1000;
      add(counts, field(queue, outcome, 'b', bucketOf(seconds)), 1);
      add(counts, field(queue, outcome, 'count'), 1);
      add(sums, field(queue, outcome, 'sum'), seconds);
      if (outcome === 'failed') add(counts, field(queue, 'failed', final ? 'final' : 'retried'), 1);
    },
    async flush() {
      if (counts.size === 0) return;
      const [pendingCounts, pendingSums] = [counts, sums];
      counts = new Map();
      sums = new Map();
      const multi = redis.multi();
      for (const [key, by] of pendingCounts) multi.hincrby(keys.jobMetrics, key, by);
      for (const [key, by] of pendingSums) multi.hincrbyfloat(keys.jobMetrics, key, by);
      try {
        const results = await multi.exec();
        for (const [err] of results ?? []) if (err) throw err;
      } catch (err) {
        // Not lost: counted again with the next flush. (A MULTI applies all or nothing.)
        for (const [key, by] of pendingCounts) add(counts, key, by);
        for (const [key, by] of pendingSums) add(sums, key, by);
        throw err;
      }
    },
    start() {
      stopTimer ??= runPeriodically(() => recorder.flush(), intervalMs, onError);
    },
    async stop() {
      stopTimer?.();
      stopTimer = undefined;
      await recorder.flush().catch(onError);
    },
  };
  return recorder;
}

/** Reads the cluster-wide job metrics (one HGETALL). */
export async function readJobMetrics(redis: RedisClient, keys: Keys): Promise<JobMetricsSnapshot> {
  const hash = await redis.hgetall(keys.jobMetrics);
  const durations = new Map<string, DurationCounts>();
  const failures: JobMetricsSnapshot['failures'] = [];
  for (const [key, raw] of Object.entries(hash)) {
    const [queue, outcome, what, index] = key.split('|');
    if (queue === undefined || (outcome !== 'completed' && outcome !== 'failed')) continue;
    const value = Number(raw);
    if (what === 'final' || what === 'retried') {
      failures.push({ queue, final: what === 'final', count: value });
      continue;
    }
    const id = field(queue, outcome);
    let entry = durations.get(id);
    if (!entry) {
      entry = {
        queue,
        outcome,
        buckets: new Array<number>(JOB_DURATION_BUCKETS.length + 1).fill(0),
        count: 0,
        sumSeconds: 0,
      };
      durations.set(id, entry);
    }
    if (what === 'count') entry.count = value;
    else if (what === 'sum') entry.sumSeconds = value;
    else if (what === 'b' && index !== undefined && Number(index) < entry.buckets.length)
      entry.buckets[Number(index)] = value;
  }
  return { durations: [...durations.values()], failures };
}
