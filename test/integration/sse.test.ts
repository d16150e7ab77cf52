import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { EventSource } from 'eventsource';
import type { ArticlesAccepted } from '../../shared/contract/http.js';
import type { PostEvent, SubscribeOk } from '../../shared/contract/protocol.js';
import {
  eventually,
  freePort,
  nextEvent,
  startKhabar,
  subscribe,
  uniquePrefix,
  type TestKhabar,
} from '../helpers/khabar.js';
import { readSse, type SseFrame, type SseReader } from '../helpers/sse-reader.js';

const MINUTE = 60_000;

interface Snapshot {
  channel: string;
  serverTime: string;
  cursor: string;
  posts: SubscribeOk['posts'];
}

const isEvent = (frame: SseFrame): boolean => frame.event !== undefined;

function dataOf(frame: SseFrame): unknown {
  assert.ok(frame.data !== undefined, JSON.stringify(frame));
  return JSON.parse(frame.data);
}
const snapshotOf = (frame: SseFrame): Snapshot => dataOf(frame) as Snapshot;
const eventOf = (frame: SseFrame): PostEvent => dataOf(frame) as PostEvent;

describe('GET /api/stream (Server-Sent Events)', function () {
  let khabar: TestKhabar;
  const readers: SseReader[] = [];
  beforeEach(async () => {
    khabar = await startKhabar({ timings: { streamPingIntervalMs: 50 } });
  });
  afterEach(async () => {
    for (const reader of readers.splice(0)) reader.close();
    await khabar.close();
  });

  async function open(query: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const reader = await readSse(`${khabar.url}/api/stream?${query}`, headers);
    readers.push(reader);
    return reader;
  }

  async function publish(...articles: Record<string, unknown>[]): Promise<string[]> {
    const answer = await khabar.postArticles({ articles });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    return (answer.body as ArticlesAccepted).accepted.map((a) => a.id);
  }

  const article = (n: number, channel = 'top'): Record<string, unknown> => ({
    url: `https://example.com/sse/${n}`,
    title: `Story ${n}`,
    channel,
  });

  it('answers with the headers of an event stream and a snapshot like a subscribe', async () => {
    // Mid-minute ages, so the labels cannot tick over between the two reads.
    const socket = await khabar.connect();
    assert.equal((await subscribe(socket, { channel: 'bihar' })).ok, true);
    const bothSeen = nextEvent(socket, 'post:new', (e) => e.post.title === 'Story 2');
    const now = Date.now();
    await publish(
      { ...article(1, 'bihar'), publishedAt: new Date(now - 21 * MINUTE - 30_000).toISOString() },
      { ...article(2, 'bihar'), publishedAt: new Date(now - 46 * MINUTE - 30_000).toISOString() },
    );
    await bothSeen;
    const answer = await subscribe(socket, { channel: 'bihar', locale: 'hi' });
    assert.ok(answer.ok, JSON.stringify(answer));
    const expected: SubscribeOk = answer;
    assert.equal(expected.posts?.length, 2);

    const reader = await open('channel=bihar&locale=hi');
    assert.equal(reader.status, 200);
    assert.match(reader.headers['content-type'] ?? '', /^text\/event-stream/);
    assert.equal(reader.headers['cache-control'], 'no-cache');
    assert.equal(reader.headers['x-accel-buffering'], 'no');
    const first = await reader.next();
    assert.equal(first.event, 'snapshot');
    assert.equal(first.id, expected.cursor);
    const snapshot = snapshotOf(first);
    assert.deepEqual(Object.keys(snapshot), ['channel', 'serverTime', 'cursor', 'posts']);
    assert.equal(snapshot.channel, 'bihar');
    assert.equal(snapshot.cursor, expected.cursor);
    assert.deepEqual(snapshot.posts, expected.posts);
  });

  it('pushes each event with its cursor as id and the Socket.IO payload as data', async () => {
    const socket = await khabar.connect();
    assert.equal((await subscribe(socket, { channel: 'top' })).ok, true);
    const reader = await open('channel=top');
    assert.equal((await reader.next(isEvent)).event, 'snapshot');

    const viaSocket = nextEvent(socket, 'post:new');
    const [id] = await publish(article(1));
    const pushed = await reader.next(isEvent);
    assert.equal(pushed.event, 'post:new');
    const payload = eventOf(pushed);
    assert.equal(payload.post.id, id);
    assert.equal(pushed.id, payload.cursor);
    assert.deepEqual(payload, await viaSocket);
  });

  it('resumes after Last-Event-ID with exactly the events missed, in order', async () => {
    const first = await open('channel=top');
    const { cursor } = snapshotOf(await first.next(isEvent));
    first.close();

    // Watched by a socket, so the events are known to be applied before the resume.
    const socket = await khabar.connect();
    assert.equal((await subscribe(socket, { channel: 'top' })).ok, true);
    const thirdSeen = nextEvent(socket, 'post:new', (e) => e.post.title === 'Story 3');
    const missed = await publish(article(1), article(2), article(3));
    await thirdSeen;

    for (const resume of [
      () => open('channel=top', { 'Last-Event-ID': cursor }),
      // For clients that cannot set headers.
      () => open(`channel=top&lastEventId=${encodeURIComponent(cursor)}`),
    ]) {
      const reader = await resume();
      const got: string[] = [];
      for (let i = 0; i < 3; i++) {
        const frame = await reader.next(isEvent);
        assert.equal(frame.event, 'post:new');
        assert.equal(frame.id, eventOf(frame).cursor);
        got.push(eventOf(frame).post.id);
      }
      assert.deepEqual(got, missed);
      reader.close();
    }
    // Nothing else was replayed: the next event a resumed stream gets is a new one.
    const reader = await open('channel=top', { 'Last-Event-ID': cursor });
    for (let i = 0; i < 3; i++) await reader.next(isEvent);
    const [sentinel] = await publish(article(4));
    assert.equal(eventOf(await reader.next(isEvent)).post.id, sentinel);
  });

  it('answers a snapshot to a cursor of another epoch, a malformed one, or one too old', async () => {
    const first = await open('channel=top');
    const { cursor } = snapshotOf(await first.next(isEvent));
    first.close();
    // HISTORY_LIMIT is 1000 here; more events than the cache keeps are read from Redis, so
    // "too old" needs a node whose history is shorter.
    await khabar.close();
    khabar = await startKhabar({ env: { HISTORY_LIMIT: '10' } });
    const socket = await khabar.connect();
    assert.equal((await subscribe(socket, { channel: 'top' })).ok, true);
    const lastSeen = nextEvent(socket, 'post:new', (e) => e.post.title === 'Story 12');
    await publish(...Array.from({ length: 12 }, (_, i) => article(i + 1)));
    const last = await lastSeen;

    for (const lastEventId of ['zz9-1', 'not a cursor', cursor, `${last.cursor.split('-')[0]}-1`]) {
      const reader = await open('channel=top', { 'Last-Event-ID': lastEventId });
      const frame = await reader.next(isEvent);
      assert.equal(frame.event, 'snapshot', lastEventId);
      const snapshot = snapshotOf(frame);
      assert.equal(snapshot.cursor, last.cursor);
      assert.ok(snapshot.posts?.some((post) => post.title === 'Story 12'));
      reader.close();
    }
  });

  it('sends a ping comment between events', async () => {
    const reader = await open('channel=top');
    assert.equal((await reader.next()).event, 'snapshot');
    const ping = await reader.next((frame) => frame.comment !== undefined);
    assert.equal(ping.comment, 'ping');
  });

  it('drops a stream that stops reading once its unsent data passes the limit', async function () {
    this.timeout(60_000);
    await khabar.close();
    khabar = await startKhabar({ env: { SLOW_CLIENT_BUFFER_BYTES: '65536' } });
    const { port } = new URL(khabar.url);
    // A raw socket that reads the answer's first bytes, then nothing: the kernel's buffers
    // fill, then the server's.
    const stalled = connect(Number(port), '127.0.0.1');
    stalled.write('GET /api/stream?channel=top HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise((resolve) => stalled.once('data', resolve));
    stalled.pause();
    const reading = await open('channel=top');
    const closed = new Promise((resolve) => stalled.once('close', resolve));
    const summary = 'समाचार '.repeat(70);
    let batch = 0;
    const dropped = (): boolean => khabar.logs.some((line) => line.event === 'stream.dropped_slow');
    // Bounded: the buffers between are a few MiB at most.
    while (!dropped() && batch < 60) {
      batch += 1;
      await publish(
        ...Array.from({ length: 100 }, (_, i) => ({
          ...article(batch * 1000 + i),
          summary,
        })),
      );
    }
    await eventually(() => (dropped() ? true : undefined), 10_000);
    stalled.resume();
    await closed;
    // A client that reads kept its stream through all of it.
    const last = `Story ${batch * 1000 + 99}`;
    await reading.next(
      (frame) => frame.event === 'post:new' && eventOf(frame).post.title === last,
      20_000,
    );
    assert.equal(khabar.logs.filter((line) => line.event === 'stream.dropped_slow').length, 1);
  });

  it('refuses a malformed channel or locale with the errors of /api/posts', async () => {
    for (const query of ['channel=Not%20A%20Slug', 'channel=a&channel=b', 'locale=hi&locale=en']) {
      const stream = await khabar.request('GET', `/api/stream?${query}`, { token: null });
      const posts = await khabar.request('GET', `/api/posts?${query}`, { token: null });
      assert.equal(stream.status, 400, query);
      assert.deepEqual(stream.body, posts.body, query);
    }
  });

  it('ends streams when the server closes', async () => {
    const reader = await open('channel=top');
    await reader.next(isEvent);
    await khabar.close();
    assert.equal(await reader.ended, true, 'the stream was cut off, not ended');
    khabar = await startKhabar();
  });

  it('lets an EventSource (npm eventsource) reconnect across a server restart and miss nothing', async function () {
    this.timeout(30_000);
    const port = await freePort();
    const env = { KEY_PREFIX: uniquePrefix() };
    await khabar.close();
    khabar = await startKhabar({ port, env });
    const source = new EventSource(`${khabar.url}/api/stream?channel=top`);
    const seen: string[] = [];
    let snapshots = 0;
    const arrived = new Set<() => void>();
    source.addEventListener('snapshot', () => {
      snapshots += 1;
    });
    source.addEventListener('post:new', (event) => {
      const payload = JSON.parse(event.data as string) as PostEvent;
      assert.equal(event.lastEventId, payload.cursor);
      seen.push(payload.post.title);
      for (const wake of arrived) wake();
    });
    const until = (count: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`saw ${JSON.stringify(seen)}`));
        }, 20_000);
        const check = (): void => {
          if (seen.length < count) return;
          clearTimeout(timer);
          arrived.delete(check);
          resolve();
        };
        arrived.add(check);
        check();
      });
    try {
      await new Promise<void>((resolve) => {
        source.addEventListener('snapshot', () => {
          resolve();
        });
      });
      await publish(article(1));
      await until(1);
      // Stop this node without clearing its keys: the next one serves the same history.
      await khabar.workers?.close(1000);
      await khabar.node.close();
      const previous = khabar;
      khabar = await startKhabar({ port, env });
      previous.redis.disconnect();
      await publish(article(2), article(3));
      await until(3);
      assert.deepEqual(seen, ['Story 1', 'Story 2', 'Story 3']);
      assert.equal(snapshots, 1);
    } finally {
      source.close();
    }
  });
});
