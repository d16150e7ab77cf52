import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import type { LastPoll } from './sources.js';

/** Newsroom-only events kept for the dashboard's namespace to forward (SPEC §6): about a day of polls. */
const NEWSROOM_STREAM_MAX = 5000;

/** SPEC §6 `source:polled`: the last poll's outcome, without its time, and the next poll. */
export type SourcePolledEvent = Omit<LastPoll, 'at'> & {
  sourceId: string;
  url: string;
  nextPollAt: string;
};

export interface NewsroomEvents {
  'source:polled': SourcePolledEvent;
}

/** Appends a newsroom event to its stream, where every server node can pick it up. */
export async function publishNewsroomEvent<E extends keyof NewsroomEvents>(
  redis: Redis,
  keys: Keys,
  type: E,
  payload: NewsroomEvents[E],
): Promise<void> {
  await redis.xadd(
    keys.newsroomEvents,
    'MAXLEN',
    '~',
    NEWSROOM_STREAM_MAX,
    '*',
    't',
    type,
    'd',
    JSON.stringify(payload),
  );
}
