import type { RedisClient } from '../infra/redis.js';
import type { Keys } from './keys.js';
import type { NewsroomOnlyEvent, NewsroomServerEvents } from '../contract/protocol.js';

/**
 * Newsroom-only events that happen in one process (an API node, a worker) and must reach the
 * dashboards on every server node. They go through one Redis stream that each node tails
 * beside the fan-out stream, in the same blocking XREAD (server/realtime/event-tail.ts).
 * The dashboard's own periodic events (`queue:stats`, `presence`) are read by each node
 * instead, and never written here.
 */
export type StreamedNewsroomEvent = Exclude<NewsroomOnlyEvent, 'queue:stats' | 'presence'>;

export type NewsroomPayload<E extends NewsroomOnlyEvent> = Parameters<NewsroomServerEvents[E]>[0];

/** One streamed event, as the tail hands it on. */
export type NewsroomMessage = {
  [E in StreamedNewsroomEvent]: { type: E; payload: NewsroomPayload<E> };
}[StreamedNewsroomEvent];

/**
 * Trimmed lazily. Dashboards never replay it (they reload over HTTP after a reconnect): nodes
 * read it within milliseconds, and a thousand entries cover a burst of a hundred-article batch.
 */
const NEWSROOM_STREAM_MAX = 1000;

const STREAMED: ReadonlySet<string> = new Set<StreamedNewsroomEvent>([
  'ingest:accepted',
  'ingest:rejected',
  'ingest:failed',
  'source:polled',
]);

/** Appends newsroom events to their stream in one round trip. */
export async function publishNewsroomEvents(
  redis: RedisClient,
  keys: Keys,
  messages: readonly NewsroomMessage[],
): Promise<void> {
  if (messages.length === 0) return;
  const pipeline = redis.pipeline();
  for (const { type, payload } of messages) {
    pipeline.xadd(
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
  for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
}

/** A stream entry's fields back as a message; null for anything this version does not know. */
export function parseNewsroomEntry(fields: ReadonlyMap<string, string>): NewsroomMessage | null {
  const type = fields.get('t');
  const data = fields.get('d');
  if (type === undefined || data === undefined || !STREAMED.has(type)) return null;
  try {
    // Written by our own processes through publishNewsroomEvents, in the same shape.
    const payload: unknown = JSON.parse(data);
    return { type, payload } as NewsroomMessage;
  } catch {
    return null;
  }
}

/**
 * Publishes newsroom events without waiting and without failing the caller: what one turn of
 * the event loop announces (64 concurrent requests, 16 jobs) leaves in one pipeline, one
 * round trip. A failure only costs the dashboards that news; `onError` hears of it.
 */
export function createNewsroomPublisher(
  redis: RedisClient,
  keys: Keys,
  onError: (err: unknown) => void,
): (messages: readonly NewsroomMessage[]) => void {
  let pending: NewsroomMessage[] = [];
  const flush = (): void => {
    const batch = pending;
    pending = [];
    publishNewsroomEvents(redis, keys, batch).catch(onError);
  };
  return (messages) => {
    if (messages.length === 0) return;
    if (pending.length === 0) setImmediate(flush);
    pending.push(...messages);
  };
}
