import { Redis } from 'ioredis';

/** One change Redis reported for a key: `event` is the command family (`hset`, `xadd`, `del`, …). */
export interface KeyWrite {
  key: string;
  event: string;
}

export interface KeyWriteWatch {
  /**
   * Every write under the prefix since the previous call. It waits for a marker published now,
   * and Redis delivers notifications in the order it executes commands: every write executed
   * before this call (such as a request's, once its answer arrived) is in the result.
   */
  writes(): Promise<KeyWrite[]>;
  close(): Promise<void>;
}

/** `prefix` as a PSUBSCRIBE pattern that matches it literally. */
const literalGlob = (prefix: string): string => prefix.replace(/[*?[\]\\]/g, '\\$&');

/**
 * Watches every key written under `prefix` through keyspace notifications, for "a refused
 * request changed nothing" assertions over thousands of requests: comparing snapshots of every key
 * would cost a SCAN and a DUMP per key per request (DEBUG DIGEST-VALUE is off in Redis 7), and
 * would miss a write undone within the request. Turns notifications on for the whole server (the
 * suite runs one test at a time) and restores the previous setting on close.
 */
export async function watchKeyWrites(url: string, prefix: string): Promise<KeyWriteWatch> {
  const admin = new Redis(url, { maxRetriesPerRequest: 1 });
  const subscriber = new Redis(url, { maxRetriesPerRequest: 1 });
  const [, previous = ''] = await admin.config('GET', 'notify-keyspace-events');
  // K: keyspace channels (named after the key); A: every kind of command, expiry included.
  await admin.config('SET', 'notify-keyspace-events', 'KA');
  const db = Number(new URL(url).pathname.slice(1) || 0);
  const channelPrefix = `__keyspace@${db}__:`;
  const fence = `key-writes-fence:${prefix}`;
  let pending: KeyWrite[] = [];
  const waiting = new Map<string, (writes: KeyWrite[]) => void>();
  subscriber.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, message: Buffer) => {
    pending.push({
      key: channel.toString('utf8').slice(channelPrefix.length),
      event: message.toString('utf8'),
    });
  });
  subscriber.on('message', (channel: string, id: string) => {
    if (channel !== fence) return;
    const done = waiting.get(id);
    if (!done) return;
    waiting.delete(id);
    const writes = pending;
    pending = [];
    done(writes);
  });
  await subscriber.psubscribe(`${channelPrefix}${literalGlob(prefix)}*`);
  await subscriber.subscribe(fence);
  let marks = 0;
  return {
    async writes() {
      const id = String(++marks);
      const arrived = new Promise<KeyWrite[]>((resolve) => waiting.set(id, resolve));
      await admin.publish(fence, id);
      return arrived;
    },
    async close() {
      await admin.config('SET', 'notify-keyspace-events', previous).catch(() => undefined);
      subscriber.disconnect();
      admin.disconnect();
    },
  };
}
