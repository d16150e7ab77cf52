import assert from 'node:assert/strict';
import { io, type Socket } from 'socket.io-client';
import {
  createFeedClient,
  type FeedAckEmitter,
  type FeedClient,
  type FeedSocket,
  type HandshakeAuth,
} from '../../shared/contract/feed-client.js';
import type {
  HandshakeSubscribeAnswer,
  Post,
  PostEvent,
  PublicClientEvents,
  PublicServerEvents,
  RemovedEvent,
  SubscribeAnswer,
  SubscribeRequest,
  UnsubscribeAnswer,
} from '../../shared/contract/protocol.js';
import type { ArticlesAccepted, PostsAnswer } from '../../shared/contract/http.js';
import { eventually, startKhabar, type TestKhabar } from '../helpers/khabar.js';

type RealSocket = Socket<PublicServerEvents, PublicClientEvents>;
type SocketEvent = 'connect' | 'disconnect' | keyof PublicServerEvents;
type AnyListener = (...args: unknown[]) => void;
/** How many times the tap hands one server push to the client: 0 swallows it, 2 repeats it. */
type Deliveries = (event: keyof PublicServerEvents, payload: PostEvent | RemovedEvent) => number;

/**
 * A real socket seen through a tap: it records every subscribe with its answer and can
 * swallow or repeat pushes, which is how a test makes a gap or a duplicate happen for real.
 */
class TappedSocket implements FeedSocket {
  readonly subscribes: { request: SubscribeRequest; answer?: SubscribeAnswer }[] = [];
  readonly unsubscribes: string[] = [];
  private readonly taps = new Map<string, Map<unknown, AnyListener>>();

  /** Set to answer the next subscribe here instead of asking the server (once). */
  failNextSubscribe?: SubscribeAnswer;

  constructor(
    readonly real: RealSocket,
    private readonly deliveries: Deliveries = () => 1,
  ) {}

  get connected(): boolean {
    return this.real.connected;
  }

  get auth(): HandshakeAuth | undefined {
    return this.real.auth;
  }

  set auth(auth: HandshakeAuth | undefined) {
    this.real.auth = auth ?? {};
  }

  on(event: 'connect' | 'disconnect', listener: () => void): this;
  on(event: 'post:new' | 'post:updated', listener: (event: PostEvent) => void): this;
  on(event: 'post:removed', listener: (event: RemovedEvent) => void): this;
  on(event: 'subscribed', listener: (answer: HandshakeSubscribeAnswer) => void): this;
  on(event: SocketEvent, listener: (payload: never) => void): this {
    const original = listener as AnyListener;
    const tapped: AnyListener =
      event === 'connect' || event === 'disconnect'
        ? original
        : (payload) => {
            const times = this.deliveries(event, payload as PostEvent | RemovedEvent);
            for (let i = 0; i < times; i++) original(payload);
          };
    let byListener = this.taps.get(event);
    if (!byListener) this.taps.set(event, (byListener = new Map<unknown, AnyListener>()));
    byListener.set(listener, tapped);
    (this.real as unknown as { on(e: string, l: AnyListener): unknown }).on(event, tapped);
    return this;
  }

  off(event: 'connect' | 'disconnect', listener: () => void): this;
  off(event: 'post:new' | 'post:updated', listener: (event: PostEvent) => void): this;
  off(event: 'post:removed', listener: (event: RemovedEvent) => void): this;
  off(event: 'subscribed', listener: (answer: HandshakeSubscribeAnswer) => void): this;
  off(event: SocketEvent, listener: (payload: never) => void): this {
    const tapped = this.taps.get(event)?.get(listener);
    this.taps.get(event)?.delete(listener);
    if (tapped)
      (this.real as unknown as { off(e: string, l: AnyListener): unknown }).off(event, tapped);
    return this;
  }

  timeout(ms: number): FeedAckEmitter {
    // socket.io-client types these answers as `any`; the helper's interface names them.
    const real: FeedAckEmitter = this.real.timeout(ms);
    const { subscribes, unsubscribes } = this;
    const failure = this.failNextSubscribe;
    this.failNextSubscribe = undefined;
    function emitWithAck(event: 'subscribe', request: SubscribeRequest): Promise<SubscribeAnswer>;
    function emitWithAck(
      event: 'unsubscribe',
      request: { channel: string },
    ): Promise<UnsubscribeAnswer>;
    async function emitWithAck(
      event: 'subscribe' | 'unsubscribe',
      request: SubscribeRequest,
    ): Promise<SubscribeAnswer | UnsubscribeAnswer> {
      if (event === 'unsubscribe') {
        unsubscribes.push(request.channel);
        return real.emitWithAck('unsubscribe', { channel: request.channel });
      }
      const record: (typeof subscribes)[number] = { request };
      subscribes.push(record);
      const answer = failure ?? (await real.emitWithAck('subscribe', request));
      record.answer = answer;
      return answer;
    }
    return { emitWithAck };
  }

  /** Listeners the client left on the real socket (the tap's own bookkeeping aside). */
  listenerCount(): number {
    let count = 0;
    for (const byListener of this.taps.values()) count += byListener.size;
    return count;
  }
}

/** Swallows the `nth` push of `type`, or repeats it (`times: 2`); every other push passes. */
function tamperWith(type: keyof PublicServerEvents, nth: number, times: number): Deliveries {
  let seen = 0;
  return (event) => (event === type && ++seen === nth ? times : 1);
}

const MINUTE = 60_000;

describe('feed client over a real Khabar', function () {
  let khabar: TestKhabar;
  let socket: RealSocket;
  let client: FeedClient | undefined;

  beforeEach(async () => {
    khabar = await startKhabar();
    socket = io(khabar.url, { transports: ['websocket'], forceNew: true });
  });
  afterEach(async () => {
    client?.close();
    client = undefined;
    socket.disconnect();
    await khabar.close();
  });

  async function publish(article: Record<string, unknown>): Promise<string> {
    const answer = await khabar.postArticles(article);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    return (answer.body as ArticlesAccepted).accepted[0]!.id;
  }

  /** Waits until `channel` stores `count` posts (the worker has run), returns their ids. */
  async function stored(channel: string, count: number): Promise<string[]> {
    return eventually(async () => {
      const answer = await khabar.request('GET', `/api/posts?channel=${channel}&limit=50`);
      const { posts } = answer.body as PostsAnswer;
      return posts.length === count ? posts.map((p) => p.id) : undefined;
    });
  }

  /** Waits until the client's view of `channel` satisfies `check`, returns its posts. */
  function viewOf(channel: string, check: (posts: Post[]) => boolean): Promise<Post[]> {
    return eventually(() => {
      const view = client?.view(channel);
      return view && check(view.posts) ? view.posts : undefined;
    });
  }

  const article = (n: number, minutesAgo: number, channel = 'bihar') => ({
    url: `https://example.com/${channel}/${n}`,
    title: `Story ${n}`,
    channel,
    publishedAt: new Date(Date.now() - minutesAgo * MINUTE).toISOString(),
  });

  /**
   * Drops the connection, publishes stories `first` … `first + count - 1` to `top` meanwhile
   * (the last the newest), reconnects: the channel's ids, newest first.
   */
  async function publishWhileAway(first: number, count: number): Promise<string[]> {
    socket.disconnect();
    const last = first + count - 1;
    for (let n = first; n <= last; n++) await publish(article(n, last + 1 - n, 'top'));
    const ids = await stored('top', last);
    socket.connect();
    return ids;
  }

  it('hands the listener the snapshot, then each change live: new posts newest first, updates in place, removals gone', async () => {
    const now = Date.now();
    const at = (minutesAgo: number) => new Date(now - minutesAgo * MINUTE).toISOString();
    const first = await publish({ ...article(1, 0), publishedAt: at(30) });
    const second = await publish({ ...article(2, 0), publishedAt: at(20) });
    await stored('bihar', 2);

    const calls: { posts: Post[]; channel: string }[] = [];
    // A plain socket.io-client Socket is a FeedSocket: no wrapper needed in production.
    client = createFeedClient({ socket });
    client.watch('bihar', (posts, channel) => calls.push({ posts, channel }));
    const titles = () => calls.map(({ posts }) => posts.map((p) => p.title));

    await eventually(() => (calls.length === 1 ? true : undefined));
    assert.deepEqual(
      calls[0]!.posts.map((p) => p.id),
      [second, first],
    );
    assert.equal(calls[0]!.channel, 'bihar');

    const third = await publish({ ...article(3, 0), publishedAt: at(10) });
    await eventually(() => (calls.length === 2 ? true : undefined));
    assert.deepEqual(
      calls[1]!.posts.map((p) => p.id),
      [third, second, first],
    );

    await publish({ ...article(2, 0), publishedAt: at(20), title: 'Story 2, corrected' });
    await eventually(() => (calls.length === 3 ? true : undefined));
    assert.deepEqual(
      calls[2]!.posts.map((p) => p.id),
      [third, second, first],
    );

    assert.equal((await khabar.request('DELETE', `/api/articles/${second}`)).status, 204);
    await eventually(() => (calls.length === 4 ? true : undefined));
    assert.deepEqual(titles(), [
      ['Story 2', 'Story 1'],
      ['Story 3', 'Story 2', 'Story 1'],
      ['Story 3', 'Story 2, corrected', 'Story 1'],
      ['Story 3', 'Story 1'],
    ]);
    // Every call got its own array: a listener that mutates cannot corrupt the view.
    calls[3]!.posts.length = 0;
    assert.equal(client.view('bihar')?.posts.length, 2);
    assert.match(client.cursors().bihar ?? '', /^[0-9a-z]+-5$/);
    assert.deepEqual(client.stats, { resubscribes: 0, gapsDetected: 0, duplicatesDropped: 0 });
  });

  it('after a reconnect resubscribes with its cursor and is handed only the missed posts (recovered: true)', async () => {
    const tapped = new TappedSocket(socket);
    client = createFeedClient({ socket: tapped });
    client.watch('top', () => undefined);
    const before = await viewOf('top', (posts) => posts.length === 0);
    const cursor = client.cursors().top;
    assert.ok(cursor);

    const ids = await publishWhileAway(1, 3);

    const after = await viewOf('top', (posts) => posts.length === 3);
    assert.deepEqual(before, []);
    assert.deepEqual(
      after.map((p) => p.id),
      ids,
    );
    assert.equal(tapped.subscribes.length, 2);
    const resumed = tapped.subscribes[1]!;
    assert.equal(resumed.request.since, cursor);
    assert.ok(resumed.answer?.ok);
    assert.equal(resumed.answer.recovered, true);
    assert.equal(resumed.answer.posts, undefined);
    assert.equal(resumed.answer.events?.length, 3);
    assert.equal(client.cursors().top, resumed.answer.cursor);
    assert.equal(client.stats.resubscribes, 1);
    assert.equal(client.stats.gapsDetected, 0);
  });

  it('fills a gap in the live stream by resubscribing with its last cursor, and never applies out of order', async () => {
    const tapped = new TappedSocket(socket, tamperWith('post:new', 2, 0));
    client = createFeedClient({ socket: tapped });
    const calls: string[][] = [];
    client.watch('delhi', (posts) => calls.push(posts.map((p) => p.title)));
    await viewOf('delhi', () => true);

    for (let n = 1; n <= 3; n++) await publish(article(n, 4 - n, 'delhi'));
    const ids = await stored('delhi', 3);
    const posts = await viewOf('delhi', (p) => p.length === 3);
    assert.deepEqual(
      posts.map((p) => p.id),
      ids,
    );
    assert.equal(client.stats.gapsDetected, 1);
    assert.ok(client.stats.resubscribes >= 1);
    // Story 3 never showed up without Story 2: the gap was filled before either was applied.
    assert.deepEqual(calls, [[], ['Story 1'], ['Story 3', 'Story 2', 'Story 1']]);
    const resumed = tapped.subscribes[1]!;
    assert.match(resumed.request.since ?? '', /-1$/);
    assert.ok(resumed.answer?.ok);
    assert.equal(resumed.answer.recovered, true);
  });

  it('drops a live event delivered twice without calling the listener again', async () => {
    const tapped = new TappedSocket(socket, tamperWith('post:new', 1, 2));
    client = createFeedClient({ socket: tapped });
    const calls: string[][] = [];
    client.watch('top', (posts) => calls.push(posts.map((p) => p.title)));
    await viewOf('top', () => true);

    await publish(article(1, 2, 'top'));
    await publish(article(2, 1, 'top'));
    await viewOf('top', (posts) => posts.length === 2);
    assert.deepEqual(calls, [[], ['Story 1'], ['Story 2', 'Story 1']]);
    assert.equal(client.stats.duplicatesDropped, 1);
    assert.equal(client.stats.gapsDetected, 0);
    assert.equal(tapped.subscribes.length, 1);
  });

  it('answers a stale cursor from another epoch with a fresh snapshot (recovered: false) and then stays live', async () => {
    const first = await publish(article(1, 2, 'top'));
    await stored('top', 1);
    const tapped = new TappedSocket(socket);
    client = createFeedClient({ socket: tapped, cursors: { top: 'zzzz-5' }, locale: 'hi' });
    client.watch('top', () => undefined, { limit: 5 });

    const snapshot = await viewOf('top', (posts) => posts.length === 1);
    assert.equal(snapshot[0]!.id, first);
    assert.equal(snapshot[0]!.ago, '2 मिनट पहले');
    const answered = tapped.subscribes[0]!;
    assert.deepEqual(answered.request, { channel: 'top', limit: 5, locale: 'hi', since: 'zzzz-5' });
    assert.ok(answered.answer?.ok);
    assert.equal(answered.answer.recovered, false);
    const cursor = client.cursors().top ?? '';
    assert.match(cursor, /^[0-9a-z]+-1$/);
    assert.notEqual(cursor.split('-')[0], 'zzzz');

    const second = await publish(article(2, 1, 'top'));
    const live = await viewOf('top', (posts) => posts.length === 2);
    assert.deepEqual(
      live.map((p) => p.id),
      [second, first],
    );
    assert.equal(tapped.subscribes.length, 1);
    assert.equal(client.stats.gapsDetected, 0);
    assert.equal(Number.isFinite(client.view('top')?.serverTimeOffsetMs), true);
  });

  it('shares one subscription between two watchers of a channel, and unsubscribes when the last stops', async () => {
    const tapped = new TappedSocket(socket);
    client = createFeedClient({ socket: tapped });
    const seen = { a: [] as number[], b: [] as number[] };
    const stopA = client.watch('top', (posts) => seen.a.push(posts.length));
    const stopB = client.watch('top', (posts) => seen.b.push(posts.length));
    await eventually(() => (seen.a.length === 1 && seen.b.length === 1 ? true : undefined));

    await publish(article(1, 1, 'top'));
    await eventually(() => (seen.a.length === 2 && seen.b.length === 2 ? true : undefined));
    assert.deepEqual(seen, { a: [0, 1], b: [0, 1] });

    // A watcher that joins later is handed the current view without a new subscribe.
    const late: number[] = [];
    const stopLate = client.watch('top', (posts) => late.push(posts.length));
    await eventually(() => (late.length === 1 ? true : undefined));
    assert.deepEqual(late, [1]);
    assert.equal(tapped.subscribes.filter((s) => s.request.channel === 'top').length, 1);

    stopA();
    stopLate();
    await publish(article(2, 0, 'top'));
    await eventually(() => (seen.b.length === 3 ? true : undefined));
    assert.deepEqual(seen.a, [0, 1]);
    assert.deepEqual(tapped.unsubscribes, []);
    stopB();
    assert.deepEqual(tapped.unsubscribes, ['top']);
    assert.equal(client.view('top'), undefined);
  });

  it('retries a subscribe the server refused, after a backoff, and then shows the snapshot', async () => {
    const first = await publish(article(1, 1, 'top'));
    await stored('top', 1);
    const tapped = new TappedSocket(socket);
    tapped.failNextSubscribe = { ok: false, error: 'unavailable', message: 'Try again.' };
    client = createFeedClient({ socket: tapped });
    const calls: Post[][] = [];
    client.watch('top', (posts) => calls.push(posts));

    const posts = await viewOf('top', (p) => p.length === 1);
    assert.equal(posts[0]!.id, first);
    assert.equal(calls.length, 1);
    assert.deepEqual(
      tapped.subscribes.map((s) => s.answer?.ok),
      [false, true],
    );
    assert.equal(tapped.subscribes[1]!.request.since, undefined);
    assert.equal(client.stats.resubscribes, 1);
  });

  it('close() removes every socket listener it added and leaves the shared socket connected', async () => {
    const tapped = new TappedSocket(socket);
    client = createFeedClient({ socket: tapped });
    client.watch('top', () => undefined);
    await viewOf('top', () => true);
    assert.equal(tapped.listenerCount(), 5);
    client.close();
    assert.equal(tapped.listenerCount(), 0);
    assert.equal(socket.connected, true);
    assert.deepEqual(tapped.unsubscribes, ['top']);
  });

  describe('subscribing in the handshake (subscribeInHandshake)', function () {
    it("sends each connection's subscribes in its handshake: the snapshot, then after a reconnect only the missed posts, and no emit", async () => {
      const first = await publish(article(1, 5, 'top'));
      await stored('top', 1);
      socket.disconnect();
      const tapped = new TappedSocket(socket);
      const answers: HandshakeSubscribeAnswer[] = [];
      socket.on('subscribed', (answer) => answers.push(answer));
      client = createFeedClient({ socket: tapped, subscribeInHandshake: true });
      const calls: Post[][] = [];
      client.watch('top', (posts) => calls.push(posts), { limit: 5 });
      socket.connect();

      const before = await viewOf('top', (posts) => posts.length === 1);
      assert.equal(before[0]!.id, first);
      const cursor = client.cursors().top;
      assert.ok(cursor);

      const ids = await publishWhileAway(2, 3);

      const after = await viewOf('top', (posts) => posts.length === 4);
      assert.deepEqual(
        after.map((p) => p.id),
        ids,
      );
      assert.equal(tapped.subscribes.length, 0, 'a subscribe went out by emit');
      assert.equal(answers.length, 2);
      const resumed = answers[1]!;
      assert.ok(resumed.ok);
      assert.equal(resumed.recovered, true);
      assert.equal(resumed.events?.length, 3);
      assert.equal(client.cursors().top, resumed.cursor);
      assert.equal(client.stats.resubscribes, 1);
      assert.equal(calls.length, 2, 'the listener saw a state other than the two answers');

      // It stays live after a handshake answer, and close() gives the socket its auth back.
      const fifth = await publish(article(5, 0, 'top'));
      assert.equal((await viewOf('top', (posts) => posts[0]?.id === fifth)).length, 5);
      client.close();
      assert.equal(typeof socket.auth, 'object');
      assert.equal(tapped.listenerCount(), 0);
    });

    it("asks again by emit when no answer to the handshake's subscribe comes in time", async () => {
      const first = await publish(article(1, 1, 'top'));
      await stored('top', 1);
      socket.disconnect();
      // As an older server would: the handshake's subscribe is never answered (here, swallowed).
      const tapped = new TappedSocket(socket, (event) => (event === 'subscribed' ? 0 : 1));
      client = createFeedClient({ socket: tapped, subscribeInHandshake: true, ackTimeoutMs: 300 });
      client.watch('top', () => undefined);
      socket.connect();

      const posts = await viewOf('top', (p) => p.length === 1);
      assert.equal(posts[0]!.id, first);
      assert.equal(tapped.subscribes.length, 1);
      assert.ok(tapped.subscribes[0]!.answer?.ok);
    });
  });
});
