import type { RedisClient } from '../../shared/infra/redis.js';
import type { Logger } from 'pino';
import { entryFields, type LogEvent } from '../../shared/domain/channel-log.js';
import type { Keys } from '../../shared/domain/keys.js';
import { parseNewsroomEntry, type NewsroomMessage } from '../../shared/domain/newsroom-events.js';
import type { PostEventType, StoredPost } from '../../shared/contract/protocol.js';

/**
 * Tails the global fan-out stream, and the newsroom stream beside it, with one blocking XREAD
 * on its own connection: one Redis command per batch of events per node, whatever the number
 * of subscribers, channels or dashboards. A node starts at the streams' ends; its clients
 * resume from their own cursors (dashboards reload their snapshot).
 */
export interface EventTail {
  start: () => void;
  stop: () => Promise<void>;
}

export interface EventTailDeps {
  /** A dedicated `blocking` connection: XREAD BLOCK holds it. */
  redis: RedisClient;
  keys: Keys;
  logger: Logger;
  onEvents: (events: LogEvent[]) => void;
  /** Newsroom-only events (ingest outcomes, feed polls), for the dashboards. */
  onNewsroom?: (messages: NewsroomMessage[]) => void;
  /** How long one XREAD waits (it also bounds how fast `stop` returns on a silent stream). */
  blockMs?: number;
}

const BATCH = 500;

/** A positive whole number of ms, or undefined (a field missing, or from an older writer). */
function msOf(value: string | undefined): number | undefined {
  const ms = Number(value);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}

function parseEvent(entryId: string, flat: string[]): LogEvent | null {
  const f = entryFields(flat);
  const channel = f.get('c');
  const seq = Number(f.get('s'));
  const epoch = f.get('e');
  const type = f.get('t') as PostEventType | undefined;
  const id = f.get('i');
  if (!channel || !epoch || !type || !id || !Number.isSafeInteger(seq)) return null;
  const body = f.get('p');
  const event: LogEvent = { type, channel, seq, epoch, id };
  if (body) event.post = JSON.parse(body) as StoredPost;
  // The path's timestamps, for the hop metrics (see append-event.lua).
  const acceptedAt = msOf(f.get('a'));
  if (acceptedAt !== undefined) event.acceptedAt = acceptedAt;
  const scriptAt = msOf(f.get('w'));
  if (scriptAt !== undefined) event.scriptAt = scriptAt;
  const storedAt = msOf(entryId.slice(0, entryId.indexOf('-')));
  if (storedAt !== undefined) event.storedAt = storedAt;
  return event;
}

type StreamReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

export function createEventTail({
  redis,
  keys,
  logger,
  onEvents,
  onNewsroom,
  blockMs = 5000,
}: EventTailDeps): EventTail {
  let stopped = false;
  // A function, so TypeScript does not assume the loop's condition still holds in its catch.
  const isStopped = (): boolean => stopped;
  let running: Promise<void> | undefined;

  async function latestId(stream: string): Promise<string> {
    const last = await redis.xrevrange(stream, '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? '0-0';
  }

  /** Hands a batch on; a bug in delivery must not stop the tail (clients will see a seq gap). */
  function handOn(what: string, deliver: () => void): void {
    try {
      deliver();
    } catch (err) {
      logger.error(
        { event: 'fanout.delivery_failed', stream: what, err },
        'delivering a batch failed',
      );
    }
  }

  async function loop(): Promise<void> {
    let lastEventId: string | undefined;
    let lastNewsroomId: string | undefined;
    let failures = 0;
    while (!isStopped()) {
      try {
        lastEventId ??= await latestId(keys.events);
        lastNewsroomId ??= await latestId(keys.newsroomEvents);
        const reply: StreamReply = await redis.xread(
          'COUNT',
          BATCH,
          'BLOCK',
          blockMs,
          'STREAMS',
          keys.events,
          keys.newsroomEvents,
          lastEventId,
          lastNewsroomId,
        );
        if (failures > 0)
          logger.info({ event: 'fanout.resumed', stream: keys.events }, 'fan-out resumed');
        failures = 0;
        for (const [stream, entries] of reply ?? []) {
          const last = entries[entries.length - 1]?.[0];
          if (last === undefined) continue;
          if (stream === keys.events) {
            lastEventId = last;
            const events: LogEvent[] = [];
            for (const [entryId, flat] of entries) {
              const event = parseEvent(entryId, flat);
              if (event) events.push(event);
            }
            handOn(stream, () => {
              onEvents(events);
            });
          } else {
            lastNewsroomId = last;
            const messages: NewsroomMessage[] = [];
            for (const [, flat] of entries) {
              const message = parseNewsroomEntry(entryFields(flat));
              if (message) messages.push(message);
            }
            if (onNewsroom && messages.length > 0)
              handOn(stream, () => {
                onNewsroom(messages);
              });
          }
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
