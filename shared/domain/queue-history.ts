import type { RedisClient } from '../infra/redis.js';
import type { Keys } from './keys.js';
import type { QueueStats } from '../contract/protocol.js';
import type { QueueStatsSample } from '../contract/http.js';

/**
 * The last few minutes of each queue's figures, kept in Redis so that any server node can
 * draw a dashboard's queue charts the moment it opens. Nobody samples for this alone: the
 * processes that read `queue:stats` anyway record what they read (a server node every 5 s
 * while it has a dashboard, each worker process with its `queue.stats` log line every 30 s),
 * so an idle Khabar adds only the workers' one write per 30 s.
 *
 * One stream per queue; an entry's id is its 5 s slot (`<slot ms>-0`), so Redis itself keeps
 * one entry per slot however many processes record: a later write to the same slot is
 * refused as "equal or smaller" than the stream's top, and that refusal is expected.
 */

/** Samples are kept one per slot of this length. */
export const QUEUE_HISTORY_SLOT_MS = 5000;

/** What a dashboard is given: its charts span five minutes. */
export const QUEUE_HISTORY_WINDOW_MS = 5 * 60_000;

/** Six minutes of slots per queue (the window plus room for clocks that disagree). */
const KEPT = 72;

/** The figures a queue's history keeps for each slot, as in `queue:stats`. */
export const QUEUE_FIGURES = [
  'waiting',
  'active',
  'delayed',
  'failed',
  'completedPerMinute',
  'oldestWaitingMs',
] as const satisfies readonly (keyof QueueStats)[];

/** Redis's answer to an entry id not above the stream's top: the slot is already recorded. */
const SLOT_TAKEN = /equal or smaller than the target stream top item/;

/** Records `stats` (one per queue), read at `at` (epoch ms), in one round trip. */
export async function recordQueueStats(
  redis: RedisClient,
  keys: Keys,
  stats: readonly QueueStats[],
  at: number,
): Promise<void> {
  if (stats.length === 0) return;
  const slot = Math.floor(at / QUEUE_HISTORY_SLOT_MS) * QUEUE_HISTORY_SLOT_MS;
  const pipeline = redis.pipeline();
  for (const queueStats of stats) {
    const fields = QUEUE_FIGURES.flatMap((field) => [field, String(queueStats[field])]);
    pipeline.xadd(keys.queueHistory(queueStats.queue), 'MAXLEN', KEPT, `${slot}-0`, ...fields);
  }
  for (const [err] of (await pipeline.exec()) ?? []) {
    if (err && !SLOT_TAKEN.test(err.message)) throw err;
  }
}

function parseSample(id: string, values: readonly string[]): QueueStatsSample | null {
  const at = Number(id.split('-')[0]);
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < values.length; i += 2) fields.set(values[i] ?? '', values[i + 1] ?? '');
  const numbers = QUEUE_FIGURES.map((field) => Number(fields.get(field)));
  if (!Number.isFinite(at) || !numbers.every(Number.isFinite)) return null;
  const [waiting = 0, active = 0, delayed = 0, failed = 0, completed = 0, oldest = 0] = numbers;
  return {
    at: new Date(at).toISOString(),
    waiting,
    active,
    delayed,
    failed,
    completedPerMinute: completed,
    oldestWaitingMs: oldest,
  };
}

/** Each queue's samples of the last five minutes before `now`, oldest first; one round trip. */
export async function readQueueHistory(
  redis: RedisClient,
  keys: Keys,
  queues: readonly string[],
  now: number,
): Promise<{ queue: string; samples: QueueStatsSample[] }[]> {
  const pipeline = redis.pipeline();
  for (const queue of queues) {
    pipeline.xrange(keys.queueHistory(queue), String(now - QUEUE_HISTORY_WINDOW_MS), '+');
  }
  const results = (await pipeline.exec()) ?? [];
  return queues.map((queue, i) => {
    const [err, entries] = results[i] ?? [null, []];
    if (err) throw err;
    const samples = (entries as [string, string[]][])
      .map(([id, values]) => parseSample(id, values))
      .filter((sample): sample is QueueStatsSample => sample !== null);
    return { queue, samples };
  });
}
