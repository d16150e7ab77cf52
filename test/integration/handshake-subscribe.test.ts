import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import type { PostsAnswer } from '../../shared/contract/http.js';
import type {
  HandshakeSubscribeAnswer,
  PostEvent,
  PublicAuth,
  SubscribeOk,
} from '../../shared/contract/protocol.js';
import {
  eventually,
  nextEvent,
  startKhabar,
  type FeedSocket,
  type TestKhabar,
} from '../helpers/khabar.js';

const MINUTE = 60_000;

/** A public socket whose handshake carries `auth`, and the `subscribed` answers it gets. */
interface Handshaken {
  socket: FeedSocket;
  answers: HandshakeSubscribeAnswer[];
  /** Resolves once `count` answers have come. */
  answered: (count: number) => Promise<HandshakeSubscribeAnswer[]>;
}

describe('subscribing in the Socket.IO handshake (PublicAuth)', function () {
  let khabar: TestKhabar;
  const sockets: FeedSocket[] = [];
  beforeEach(async () => {
    khabar = await startKhabar();
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await khabar.close();
  });

  /** Connects with `auth` (listening before the connect, as the answers follow it at once). */
  function handshake(auth: unknown, transport: 'websocket' | 'polling' = 'websocket'): Handshaken {
    const socket: FeedSocket = io(khabar.url, {
      transports: [transport],
      forceNew: true,
      reconnection: false,
      auth: auth as PublicAuth,
    });
    sockets.push(socket);
    const answers: HandshakeSubscribeAnswer[] = [];
    socket.on('subscribed', (answer) => answers.push(answer));
    const answered = (count: number) =>
      eventually(() => (answers.length >= count ? answers : undefined));
    return { socket, answers, answered };
  }

  /** The error a refused handshake gets: its code, and the sentence in `data`. */
  function refusal(auth: unknown): Promise<Error & { data?: { message?: string } }> {
    const { socket } = handshake(auth);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => {
        reject(new Error('the handshake was accepted'));
      });
      socket.once('connect_error', resolve);
    });
  }

  async function publish(n: number, channel: string, minutesAgo = 0): Promise<string> {
    const answer = await khabar.postArticles({
      url: `https://example.com/${channel}/${n}`,
      title: `Story ${n}`,
      channel,
      publishedAt: new Date(Date.now() - minutesAgo * MINUTE).toISOString(),
    });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    return eventually(async () => {
      const { body } = await khabar.request('GET', `/api/posts?channel=${channel}&limit=50`);
      const { posts, cursor } = body as PostsAnswer;
      return posts.some((p) => p.url === `https://example.com/${channel}/${n}`)
        ? cursor
        : undefined;
    });
  }

  function ok(answer: HandshakeSubscribeAnswer | undefined): SubscribeOk {
    assert.ok(answer?.ok, JSON.stringify(answer));
    return answer;
  }

  it('answers each subscribe with a `subscribed` snapshot, in its locale, then pushes live', async () => {
    await publish(1, 'bihar', 21);
    await publish(2, 'delhi', 46);
    const { socket, answered } = handshake({
      subscribe: [{ channel: 'bihar', locale: 'hi' }, { channel: 'delhi' }],
    });
    const answers = await answered(2);
    const bihar = ok(answers.find((a) => a.channel === 'bihar'));
    const delhi = ok(answers.find((a) => a.channel === 'delhi'));
    assert.equal(bihar.recovered, false);
    assert.deepEqual(
      bihar.posts?.map((p) => [p.title, p.ago]),
      [['Story 1', '21 मिनट पहले']],
    );
    assert.deepEqual(
      delhi.posts?.map((p) => [p.title, p.ago]),
      [['Story 2', '46 mins ago']],
    );

    const live = nextEvent(socket, 'post:new');
    await publish(3, 'bihar');
    const event: PostEvent = await live;
    assert.equal(event.channel, 'bihar');
    assert.equal(event.post.title, 'Story 3');
    assert.equal(event.post.ago, 'अब'); // Intl's Hindi for "now"
    const [epoch, seq] = bihar.cursor.split('-');
    assert.equal(event.cursor, `${epoch}-${Number(seq) + 1}`, 'an event was missed or repeated');
  });

  it('replays only the events after `since`, so a reconnect takes one round trip', async () => {
    const cursor = await publish(1, 'top', 3);
    await publish(2, 'top', 2);
    const last = await publish(3, 'top', 1);
    const { answered } = handshake({ subscribe: [{ channel: 'top', since: cursor }] });
    const answer = ok((await answered(1))[0]);
    assert.equal(answer.recovered, true);
    assert.deepEqual(
      answer.events?.map((e) => [e.type, e.type === 'post:removed' ? '' : e.post.title]),
      [
        ['post:new', 'Story 2'],
        ['post:new', 'Story 3'],
      ],
    );
    assert.equal(answer.cursor, last);
  });

  it('answers over long-polling as over websocket, and pushes live after the answer', async () => {
    const cursor = await publish(1, 'top', 2);
    await publish(2, 'top', 1);
    const { socket, answered } = handshake(
      { subscribe: [{ channel: 'top', since: cursor }] },
      'polling',
    );
    const answer = ok((await answered(1))[0]);
    assert.equal(answer.events?.length, 1);
    const live = nextEvent(socket, 'post:new');
    const last = await publish(3, 'top');
    assert.equal((await live).cursor, last);
  });

  it('refuses one bad subscribe with ok: false, naming its channel when it can, and keeps the rest', async () => {
    const { socket, answered } = handshake({
      subscribe: [{ channel: 'Not A Slug' }, { channel: 'delhi', limit: 500 }, { channel: 'top' }],
    });
    const answers = await answered(3);
    ok(answers.find((a) => a.ok && a.channel === 'top'));
    const failures = answers.filter((a) => !a.ok);
    assert.equal(failures.length, 2);
    for (const failure of failures) {
      assert.ok(!failure.ok);
      assert.equal(failure.error, 'invalid_request');
      assert.ok(failure.message.length > 10, failure.message);
    }
    assert.deepEqual(failures.map((f) => f.channel).sort(), ['delhi', undefined].sort());
    assert.equal(socket.connected, true);
  });

  it('refuses a handshake whose auth.subscribe is not a list of at most 50, saying what to send', async () => {
    const many = Array.from({ length: 51 }, (_, i) => ({ channel: `c${i}` }));
    for (const subscribe of ['bihar', { channel: 'bihar' }, many]) {
      const err = await refusal({ subscribe });
      assert.equal(err.message, 'invalid_request');
      assert.match(err.data?.message ?? '', /auth\.subscribe must be a list of at most 50/);
    }
  });

  it('never hands a later connection an answer from before a new post, however alike the requests', async () => {
    await publish(1, 'top');
    const first = ok((await handshake({ subscribe: [{ channel: 'top' }] }).answered(1))[0]);
    await publish(2, 'top');
    // The same request again at once: the channel moved, so the answer is a new one.
    const second = ok((await handshake({ subscribe: [{ channel: 'top' }] }).answered(1))[0]);
    assert.notEqual(second.cursor, first.cursor);
    assert.deepEqual(
      second.posts?.map((p) => p.title),
      ['Story 2', 'Story 1'],
    );
  });

  it('shares one encoded answer among identical `subscribe` events, and never one from before a new post', async () => {
    const cursor = await publish(1, 'top');
    await publish(2, 'top');
    // Plain connections (no subscribe in the handshake); emits wait for the connect.
    const [one, two] = [handshake({}), handshake({})];
    const request = { channel: 'top', since: cursor, limit: 5 };
    const first = ok(await one.socket.emitWithAck('subscribe', request));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = ok(await two.socket.emitWithAck('subscribe', request));
    // Shared: the same answer, serverTime included, though made 20 ms apart.
    assert.deepEqual(second, first);
    assert.equal(first.recovered, true);
    assert.deepEqual(
      first.events?.map((e) => e.type === 'post:new' && e.post.title),
      ['Story 2'],
    );
    // Once this node has the new post (pushed to the subscribed sockets), the answer has it too.
    const live = nextEvent(one.socket, 'post:new', (e) => e.post.title === 'Story 3');
    await publish(3, 'top');
    await live;
    const third = ok(await two.socket.emitWithAck('subscribe', request));
    assert.deepEqual(
      third.events?.map((e) => e.type === 'post:new' && e.post.title),
      ['Story 2', 'Story 3'],
    );
  });
});
