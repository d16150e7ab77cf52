import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { entryFields, type LogEvent } from '../../shared/channel-log.js';
import type { Keys } from '../../shared/keys.js';
import type { PostEventType, StoredPost } from '../../shared/protocol.js';

/**
 * Tails the global fan-out stream with one blocking XREAD on its own connection: one Redis
 * command per batch of events per node, whatever the number of subscribers or channels.
 * A node starts at the stream's end; its clients resume from their own cursors.
 */
export interface EventTail {
  start: () => void;
  stop: () => Promise<void>;
}

export interface EventTailDeps {
  /** A dedicated `blocking` connection: XREAD BLOCK holds it. */
  redis: Redis;
  keys: Keys;
  logger: Logger;
  onEvents: (events: LogEvent[]) => void;
  /** How long one XREAD waits (it also bounds how fast `stop` returns on a silent stream). */
  blockMs?: number;
}

const BATCH = 500;

function parseEvent(flat: string[]): LogEvent | null {
  const f = entryFields(flat);
  const channel = f.get('c');
  const seq = Number(f.get('s'));
  const epoch = f.get('e');
  const type = f.get('t') as PostEventType | undefined;
  const id = f.get('i');
  if (!channel || !epoch || !type || !id || !Number.isSafeInteger(seq)) return null;
  const body = f.get('p');
  return body
    ? { type, channel, seq, epoch, id, post: JSON.parse(body) as StoredPost }
    : { type, channel, seq, epoch, id };
}

export function createEventTail({
  redis,
  keys,
  logger,
  onEvents,
  blockMs = 5000,
}: EventTailDeps): EventTail {
  let stopped = false;
  // A function, so TypeScript does not assume the loop's condition still holds in its catch.
  const isStopped = (): boolean => stopped;
  let running: Promise<void> | undefined;

  async function latestId(): Promise<string> {
    const last = await redis.xrevrange(keys.events, '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? '0-0';
  }

  async function loop(): Promise<void> {
    let lastId: string | undefined;
    let failures = 0;
    while (!isStopped()) {
      try {
        lastId ??= await latestId();
        const reply = await redis.xread(
          'COUNT',
          BATCH,
          'BLOCK',
          blockMs,
          'STREAMS',
          keys.events,
          lastId,
        );
        if (failures > 0)
          logger.info({ event: 'fanout.resumed', stream: keys.events }, 'fan-out resumed');
        failures = 0;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        lastId = entries[entries.length - 1]?.[0] ?? lastId;
        const events: LogEvent[] = [];
        for (const [, flat] of entries) {
          const event = parseEvent(flat);
          if (event) events.push(event);
        }
        try {
          onEvents(events);
        } catch (err) {
          // A bug in delivery must not stop the tail: the affected clients will see a seq gap.
          logger.error({ event: 'fanout.delivery_failed', err }, 'delivering a batch failed');
        }
      } catch (err) {
        if (isStopped()) break;
        if (failures++ === 0)
          logger.warn({ event: 'fanout.interrupted', err }, 'fan-out interrupted; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * failures, 1000)));
      }
    }
  }

  return {
    start() {
      running ??= loop();
    },
    async stop() {
      stopped = true;
      // Ends the pending XREAD at once instead of waiting out its BLOCK. While Redis is
      // away a queued XREAD may never settle, so the wait for the loop is bounded.
      redis.disconnect();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
      clearTimeout(timer);
    },
  };
}
