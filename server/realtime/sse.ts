import { Router, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { DEFAULT_CHANNEL } from '../../shared/contract/channel.js';
import { parseCursor } from '../../shared/contract/cursor.js';
import type { ReplayedEvent } from '../../shared/contract/protocol.js';
import { resolveLocale } from '../../shared/contract/relative-time.js';
import type { LogEvent } from '../../shared/domain/channel-log.js';
import { appError } from '../../shared/infra/errors.js';
import { orUnavailable } from '../http/unavailable.js';
import { channelField, parseOr400 } from '../validation.js';
import { toReplayed, type PublicDelivery } from './public-namespace.js';

/**
 * `GET /api/stream`: a channel as Server-Sent Events, for clients that cannot run Socket.IO
 * (curl, a plain `EventSource`). Streams are served like sockets, from this node's channel
 * cache: the subscribe answer and the attach to delivery happen in one step (no event is lost
 * or doubled), and each applied event is encoded once per channel × locale. A fan-out read's
 * events for one channel × locale go out together, as one buffer written to every stream of it:
 * one write (one system call) per stream per read, as for websockets (room-writer.ts). No Redis
 * command is made per stream per event.
 */

interface Stream {
  res: Response;
  channel: string;
  locale: string;
  /**
   * Events applied after the stream joined but before its first answer was written (the answer
   * is made after the join, and the handler writes it a few microtasks later): they follow it.
   */
  backlog: Buffer[] | null;
}

export interface StreamsOptions {
  delivery: PublicDelivery;
  defaultLocale: string;
  /** RECENT_LIMIT: the snapshot carries as many posts as a subscribe's largest answer would. */
  snapshotLimit: number;
  /** SLOW_CLIENT_BUFFER_BYTES: a stream with more unsent data than this is dropped. */
  limitBytes: number;
  logger: Logger;
  /** How often each stream gets a `: ping` comment (30 s), so proxies keep it open. */
  pingIntervalMs?: number;
  now?: () => number;
  onDrop?: () => void;
  /** Copies of events written to streams, as they are written (metrics). */
  onDelivered?: (copies: number) => void;
}

export interface Streams {
  router: Router;
  /** Starts the pings. */
  start(): void;
  /** Ends every stream cleanly (clients reconnect, to another node, with Last-Event-ID). */
  close(): void;
  /** Open streams per channel: readers, as a socket's subscriptions are (presence, metrics). */
  viewers(): Map<string, number>;
  /** Open streams on this node. */
  readonly size: number;
}

/** `GET /api/stream` query; exported for the API description (server/http/openapi/). */
export const streamQuery = z.object({
  channel: channelField((name) => `channel=${name}`).default(DEFAULT_CHANNEL),
  locale: z.string({ error: 'locale must be one language tag, such as locale=hi' }).optional(),
  lastEventId: z
    .string({ error: 'lastEventId must be the id of the last event you received' })
    .optional(),
});

/** A comment line: it keeps proxies from closing an idle stream. */
const PING = Buffer.from(': ping\n\n');

/** One SSE event. JSON has no raw newlines, so `data` is always a single line. */
function frame(type: string, data: unknown, id?: string): string {
  return `event: ${type}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`;
}

function eventFrame({ type, ...payload }: ReplayedEvent): string {
  return frame(type, payload, payload.cursor);
}

export function createStreams({
  delivery,
  defaultLocale,
  snapshotLimit,
  limitBytes,
  logger,
  pingIntervalMs = 30_000,
  now = Date.now,
  onDrop,
  onDelivered,
}: StreamsOptions): Streams {
  /** channel → locale → its streams. */
  const byChannel = new Map<string, Map<string, Set<Stream>>>();
  const all = new Set<Stream>();
  let timer: NodeJS.Timeout | undefined;
  let closing = false;

  function detach(stream: Stream): void {
    if (!all.delete(stream)) return;
    const locales = byChannel.get(stream.channel);
    const set = locales?.get(stream.locale);
    set?.delete(stream);
    if (set?.size === 0) locales?.delete(stream.locale);
    if (locales?.size === 0) {
      byChannel.delete(stream.channel);
      delivery.released(stream.channel);
    }
  }

  /**
   * Writes to a stream, or drops it when its unsent data is already past the limit: a reader
   * that stopped reading cannot make the server's memory grow, and it resumes with
   * Last-Event-ID. Checked before the write, so one large first answer is never a reason.
   */
  function send(stream: Stream, bytes: Buffer): void {
    if (stream.backlog) {
      stream.backlog.push(bytes);
      return;
    }
    if (stream.res.writableLength <= limitBytes) {
      stream.res.write(bytes);
      return;
    }
    logger.warn(
      {
        event: 'stream.dropped_slow',
        channel: stream.channel,
        unsentBytes: stream.res.writableLength,
        limitBytes,
      },
      'dropped a stream that stopped reading',
    );
    detach(stream);
    stream.res.destroy();
    onDrop?.();
  }

  /**
   * The frames of the batch being delivered, per set of streams (one channel × locale), until
   * `flush`. Nothing can join a set in between: delivery flushes in the step that applied them.
   */
  const held = new Map<Set<Stream>, string[]>();
  delivery.listen({
    watches: (channel) => byChannel.has(channel),
    onEvent(event: LogEvent) {
      const locales = byChannel.get(event.channel);
      if (!locales) return;
      const at = now();
      for (const [locale, streams] of locales) {
        const text = eventFrame(toReplayed(event, at, locale));
        const frames = held.get(streams);
        if (frames) frames.push(text);
        else held.set(streams, [text]);
      }
    },
    flush() {
      for (const [streams, frames] of held) {
        // Encoded once for every stream; a copy of the set: a dropped stream leaves it.
        const bytes = Buffer.from(frames.join(''));
        onDelivered?.(frames.length * streams.size);
        for (const stream of [...streams]) send(stream, bytes);
      }
      held.clear();
    },
  });

  const router = Router();
  router.get('/api/stream', async (req, res) => {
    const query = parseOr400(streamQuery, req.query, 'invalid_query');
    const locale = resolveLocale(query.locale, defaultLocale);
    // EventSource sends the header when it reconnects; the parameter is for clients that
    // cannot set headers (a first connection of a browser EventSource, say).
    const since = parseCursor(req.get('last-event-id') ?? query.lastEventId);
    if (closing) throw appError('unavailable', { what: 'channel' });
    const stream: Stream = { res, channel: query.channel, locale, backlog: [] };
    res.on('close', () => {
      detach(stream);
    });
    let abandoned = false;
    const answer = await orUnavailable(
      delivery.open(
        { channel: query.channel, locale, limit: snapshotLimit, since },
        () => abandoned || closing || res.destroyed,
        () => {
          all.add(stream);
          let locales = byChannel.get(stream.channel);
          if (!locales) byChannel.set(stream.channel, (locales = new Map<string, Set<Stream>>()));
          let streams = locales.get(locale);
          if (!streams) locales.set(locale, (streams = new Set<Stream>()));
          streams.add(stream);
        },
      ),
    ).catch((err: unknown) => {
      abandoned = true;
      detach(stream);
      throw err;
    });
    if (!answer) throw appError('unavailable', { what: 'channel' });
    if (res.destroyed) {
      detach(stream);
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      // nginx would otherwise hold events back to fill its buffer.
      'X-Accel-Buffering': 'no',
    });
    // Nagle would hold small frames back; each event should leave as soon as it is written.
    res.socket?.setNoDelay(true);
    res.flushHeaders();
    const { ok: _ok, recovered: _recovered, events, posts, ...head } = answer;
    // The snapshot carries the cursor as its id too, so a reconnect resumes after it.
    const first = events
      ? events.map(eventFrame).join('')
      : frame('snapshot', { ...head, posts: posts ?? [] }, head.cursor);
    const backlog = stream.backlog ?? [];
    stream.backlog = null;
    send(stream, Buffer.concat([Buffer.from(first), ...backlog]));
  });

  return {
    router,
    get size() {
      return all.size;
    },
    viewers() {
      const viewers = new Map<string, number>();
      for (const [channel, locales] of byChannel) {
        let count = 0;
        for (const streams of locales.values()) count += streams.size;
        viewers.set(channel, count);
      }
      return viewers;
    },
    start() {
      timer = setInterval(() => {
        for (const stream of [...all]) send(stream, PING);
      }, pingIntervalMs);
      timer.unref();
    },
    close() {
      closing = true;
      clearInterval(timer);
      for (const stream of [...all]) {
        detach(stream);
        stream.res.end();
      }
    },
  };
}
