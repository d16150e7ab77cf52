import assert from 'node:assert/strict';
import type { ArticlesAccepted, PostsAnswer } from '../../shared/contract/http.js';
import { createIngestQueue } from '../../shared/domain/ingest-queue.js';
import type { PostEvent, SubscribeOk } from '../../shared/contract/protocol.js';
import {
  eventually,
  nextEvent,
  startKhabar,
  subscribe,
  type FeedSocket,
  type TestKhabar,
} from '../helpers/khabar.js';

const MINUTE = 60_000;

/** The sidebar of the seed page: India News Bihar and Delhi, 21, 46 and 60 minutes old. */
function sidebarArticles(now: number) {
  return [
    {
      url: 'https://www.indianews.in/bihar/arrah-mother-child-platform',
      title: '2 महीने के बच्चे की मां ने पटककर ली जान, प्लेटफार्म पर बच्चे को 3 बार पटकी, जानें पूरा मामला',
      summary: 'India News Bihar(इंडिया न्यूज़),Arrah News: आरा में आपसी झगड़े में मां ने मासूम बेटे को…',
      channel: 'bihar',
      lang: 'hi',
      publishedAt: new Date(now - 21 * MINUTE).toISOString(),
    },
    {
      url: 'https://www.indianews.in/bihar/sudhakar-singh-nitish',
      title: 'CM नीतीश पर सुधाकर सिंह का बड़ा हमला, कहा- ‘दाल में कुछ तो काला है, जिसकी सफाई …’',
      channel: 'bihar',
      lang: 'hi',
      publishedAt: new Date(now - 46 * MINUTE).toISOString(),
    },
    {
      url: 'https://www.indianews.in/delhi/neeraj-bawana-aide-arrested',
      title: 'गैंगस्टर नीरज बवाना का करीबी अमरजीत गिरफ्तार, क्राइम ब्रांच को मिली बड़ी सफलता',
      channels: ['delhi', 'bihar'],
      lang: 'hi',
      publishedAt: new Date(now - 60 * MINUTE).toISOString(),
    },
  ];
}

function ok(answer: Awaited<ReturnType<typeof subscribe>>): SubscribeOk {
  assert.equal(answer.ok, true, JSON.stringify(answer));
  return answer;
}

describe('live recent posts over Socket.IO', function () {
  let khabar: TestKhabar;
  beforeEach(async () => {
    khabar = await startKhabar();
  });
  afterEach(async () => {
    await khabar.close();
  });

  async function publish(article: Record<string, unknown>): Promise<string> {
    const answer = await khabar.postArticles(article);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const { accepted } = answer.body as ArticlesAccepted;
    return accepted[0]!.id;
  }

  /**
   * Publishes a sentinel post to `channel` and waits for its post:new. A channel's events reach
   * a subscriber in seq order, so anything that was (wrongly) going to be delivered before it
   * has been by then: absence is asserted without a sleep.
   */
  async function sentinel(socket: FeedSocket, channel = 'top'): Promise<string> {
    const arriving = nextEvent(socket, 'post:new');
    const id = await publish({ url: 'https://example.com/sentinel', title: 'Sentinel', channel });
    assert.equal((await arriving).post.id, id);
    return id;
  }

  it('pushes post:new to a websocket subscriber with its relative label and seq 1', async () => {
    const socket = await khabar.connect();
    const first = ok(await subscribe(socket, { channel: 'bihar' }));
    assert.deepEqual(first.posts, []);
    assert.equal(first.recovered, false);
    const arriving = nextEvent(socket, 'post:new');
    const id = await publish(sidebarArticles(Date.now())[0]!);
    const event = await arriving;
    assert.equal(event.post.id, id);
    assert.equal(event.channel, 'bihar');
    assert.equal(event.seq, 1);
    assert.match(event.cursor, /^[0-9a-z]+-1$/);
    assert.equal(event.post.ago, '21 mins ago');
  });

  it("labels the same push in each subscriber's locale", async () => {
    const english = await khabar.connect();
    const hindi = await khabar.connect();
    ok(await subscribe(english, { channel: 'top' }));
    ok(await subscribe(hindi, { channel: 'top', locale: 'hi' }));
    const [en, hi] = [nextEvent(english, 'post:new'), nextEvent(hindi, 'post:new')];
    await publish({ url: 'https://example.com/a', title: 'Breaking' });
    assert.equal((await en).post.ago, 'just now');
    assert.equal((await hi).post.ago, 'अब');
    assert.equal((await en).seq, (await hi).seq);
  });

  it('delivers over long-polling as well as websocket', async () => {
    const socket = await khabar.connect({ transports: ['polling'] });
    ok(await subscribe(socket, { channel: 'top' }));
    const arriving = nextEvent(socket, 'post:new');
    await publish({ url: 'https://example.com/polling', title: 'Via polling' });
    assert.equal((await arriving).post.title, 'Via polling');
    assert.equal(socket.io.engine.transport.name, 'polling');
  });

  it('serves the sidebar newest first, "21 mins ago" in English and "21 मिनट पहले" in Hindi, text byte for byte', async () => {
    const articles = sidebarArticles(Date.now());
    for (const article of articles) await publish(article);
    const english = await eventually(async () => {
      const answer = await khabar.request('GET', '/api/posts?channel=bihar');
      const body = answer.body as PostsAnswer;
      return body.posts.length === 3 ? body : undefined;
    });
    assert.deepEqual(
      english.posts.map((p) => p.title),
      articles.map((a) => a.title),
    );
    assert.deepEqual(
      english.posts.map((p) => p.ago),
      ['21 mins ago', '46 mins ago', '1 hour ago'],
    );
    const hindi = (await khabar.request('GET', '/api/posts?channel=bihar&locale=hi'))
      .body as PostsAnswer;
    assert.deepEqual(
      hindi.posts.map((p) => p.ago),
      ['21 मिनट पहले', '46 मिनट पहले', '1 घंटे पहले'],
    );
    assert.equal(hindi.posts[0]!.summary, articles[0]!.summary);

    const socket = await khabar.connect();
    const snapshot = ok(await subscribe(socket, { channel: 'bihar', locale: 'hi', limit: 2 }));
    assert.deepEqual(
      snapshot.posts?.map((p) => [p.title, p.ago]),
      [
        [articles[0]!.title, '21 मिनट पहले'],
        [articles[1]!.title, '46 मिनट पहले'],
      ],
    );
    assert.equal(snapshot.cursor.endsWith('-3'), true);
  });

  it('pushes post:updated when a known article changes title, and nothing when it is re-sent unchanged', async () => {
    const socket = await khabar.connect();
    ok(await subscribe(socket, { channel: 'top' }));
    const article = {
      url: 'https://example.com/story?utm_source=x',
      title: 'First title',
      publishedAt: new Date().toISOString(),
    };
    const created = nextEvent(socket, 'post:new');
    const id = await publish(article);
    await created;

    const updated = nextEvent(socket, 'post:updated');
    assert.equal(
      await publish({ ...article, url: 'https://EXAMPLE.com/story', title: 'Second title' }),
      id,
    );
    const event = await updated;
    assert.equal(event.post.id, id);
    assert.equal(event.post.title, 'Second title');
    assert.equal(event.seq, 2);
    assert.ok(event.post.updatedAt);

    const seen: PostEvent[] = [];
    socket.on('post:updated', (e) => seen.push(e));
    socket.on('post:new', (e) => seen.push(e));
    assert.equal(await publish({ ...article, title: 'Second title' }), id);
    await eventually(() =>
      khabar.logs.filter((l) => l.event === 'job.completed').length === 3 ? true : undefined,
    );
    const unchanged = khabar.logs.filter((l) => l.event === 'job.completed').at(-1);
    assert.equal(unchanged?.status, 'unchanged');
    const marker = await sentinel(socket);
    assert.deepEqual(
      seen.map((e) => e.post.id),
      [marker],
    );
    const posts = (await khabar.request('GET', '/api/posts')).body as PostsAnswer;
    assert.equal(posts.posts.length, 2);
    assert.ok(posts.cursor.endsWith('-3'), 'the unchanged re-send took no seq');
  });

  it('removes a post everywhere with DELETE and pushes post:removed to each of its channels', async () => {
    const delhi = await khabar.connect();
    const bihar = await khabar.connect();
    ok(await subscribe(delhi, { channel: 'delhi' }));
    ok(await subscribe(bihar, { channel: 'bihar' }));
    const bothNew = [nextEvent(delhi, 'post:new'), nextEvent(bihar, 'post:new')];
    const id = await publish(sidebarArticles(Date.now())[2]!);
    await Promise.all(bothNew);

    const removed = [nextEvent(delhi, 'post:removed'), nextEvent(bihar, 'post:removed')];
    assert.equal((await khabar.request('DELETE', `/api/articles/${id}`)).status, 204);
    for (const event of await Promise.all(removed)) {
      assert.equal(event.id, id);
      assert.equal(event.seq, 2);
    }
    const after = (await khabar.request('GET', '/api/posts?channel=delhi')).body as PostsAnswer;
    assert.deepEqual(after.posts, []);
    assert.equal((await khabar.request('DELETE', `/api/articles/${id}`)).status, 404);
  });

  it('moves a post between channels: post:new where it arrives, post:removed where it leaves', async () => {
    const a = await khabar.connect();
    const b = await khabar.connect();
    ok(await subscribe(a, { channel: 'alpha' }));
    ok(await subscribe(b, { channel: 'beta' }));
    const first = nextEvent(a, 'post:new');
    const article = { url: 'https://example.com/moving', title: 'Moving', channel: 'alpha' };
    await publish(article);
    await first;
    const leaving = nextEvent(a, 'post:removed');
    const arriving = nextEvent(b, 'post:new');
    await publish({ ...article, channel: undefined, channels: ['beta'] });
    assert.equal((await arriving).post.channels[0], 'beta');
    assert.equal((await leaving).seq, 2);
  });

  it('replays exactly the missed events, in order, to a client that resubscribes with its cursor', async () => {
    const first = await khabar.connect();
    const start = ok(await subscribe(first, { channel: 'top' }));
    first.disconnect();
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++)
      ids.push(await publish({ url: `https://example.com/missed/${i}`, title: `Missed ${i}` }));
    await eventually(async () => {
      const body = (await khabar.request('GET', '/api/posts')).body as PostsAnswer;
      return body.posts.length === 3 ? true : undefined;
    });

    const again = await khabar.connect();
    const resumed = ok(
      await subscribe(again, { channel: 'top', since: start.cursor, locale: 'hi' }),
    );
    assert.equal(resumed.recovered, true);
    assert.equal(resumed.posts, undefined);
    assert.deepEqual(
      resumed.events?.map((e) => [e.type, e.seq, e.type === 'post:removed' ? e.id : e.post.id]),
      ids.map((id, i) => ['post:new', i + 1, id]),
    );
    assert.ok(resumed.events.every((e) => e.type !== 'post:removed' && e.post.ago === 'अब'));
    assert.ok(resumed.cursor.endsWith('-3'));

    // Resuming at the newest cursor replays nothing; live events continue from there.
    const next = nextEvent(again, 'post:new');
    ok(await subscribe(again, { channel: 'top', since: resumed.cursor }));
    await publish({ url: 'https://example.com/live', title: 'Live' });
    assert.equal((await next).seq, 4);
  });

  it('replays up to HISTORY_LIMIT missed events and answers recovered: false beyond that', async () => {
    await khabar.close();
    khabar = await startKhabar({ env: { HISTORY_LIMIT: '10' } });
    const socket = await khabar.connect();
    const publishAndWait = async (count: number, from: number): Promise<void> => {
      for (let i = from; i < from + count; i++)
        await publish({ url: `https://example.com/h/${i}`, title: `H ${i}` });
      await eventually(async () => {
        const body = (await khabar.request('GET', '/api/posts')).body as PostsAnswer;
        return body.cursor.endsWith(`-${from + count - 1}`) ? true : undefined;
      });
    };
    await publishAndWait(1, 1);
    const start = ok(await subscribe(socket, { channel: 'top' }));
    await publishAndWait(10, 2); // seq 2..11: exactly the 10 kept
    const within = ok(await subscribe(socket, { channel: 'top', since: start.cursor }));
    assert.equal(within.recovered, true);
    assert.equal(within.events?.length, 10);
    await publishAndWait(1, 12); // seq 12: seq 2 is no longer kept
    const beyond = ok(await subscribe(socket, { channel: 'top', since: start.cursor }));
    assert.equal(beyond.recovered, false);
    assert.equal(beyond.posts?.length, 10);
  });

  it('answers recovered: false with a fresh snapshot for a malformed, unknown or foreign-epoch cursor', async () => {
    await publish({ url: 'https://example.com/one', title: 'One' });
    const socket: FeedSocket = await khabar.connect();
    const live = await eventually(async () => {
      const answer = ok(await subscribe(socket, { channel: 'top' }));
      return answer.posts?.length === 1 ? answer : undefined;
    });
    const epoch = live.cursor.split('-')[0]!;
    for (const since of ['garbage', `${epoch}-99`, 'zzzz-1', '', '-1']) {
      const answer = ok(await subscribe(socket, { channel: 'top', since }));
      assert.equal(answer.recovered, false, since);
      assert.equal(answer.posts?.length, 1, since);
    }
  });

  it('stores one post and appends one event when the same job runs twice', async () => {
    const socket = await khabar.connect();
    ok(await subscribe(socket, { channel: 'top' }));
    const seen: PostEvent[] = [];
    socket.on('post:new', (e) => seen.push(e));
    socket.on('post:updated', (e) => seen.push(e));
    const queue = createIngestQueue(khabar.redis, khabar.keys);
    const answer = await khabar.postArticles({ url: 'https://example.com/twice', title: 'Twice' });
    const jobId = (answer.body as ArticlesAccepted).accepted[0]!.jobId;
    const job = await queue.getJob(jobId);
    assert.ok(job);
    await queue.add('article', job.data);
    await queue.add('article', job.data);
    await eventually(() =>
      khabar.logs.filter((l) => l.event === 'job.completed').length === 3 ? true : undefined,
    );
    await queue.close();
    const marker = await sentinel(socket);
    assert.equal(seen.length, 2);
    assert.equal(seen[1]?.post.id, marker);
    const posts = (await khabar.request('GET', '/api/posts')).body as PostsAnswer;
    assert.equal(posts.posts.length, 2);
    assert.ok(posts.cursor.endsWith('-2'), 'the duplicate jobs took no seq');
  });

  it('answers a malformed subscribe with ok: false and a message, and keeps the connection', async () => {
    const socket = await khabar.connect();
    for (const request of [
      { channel: 'Not A Slug' },
      { channel: 'top', limit: 0 },
      { channel: 'top', limit: 51 },
      {},
    ]) {
      const answer = await subscribe(socket, request as never);
      assert.ok(!answer.ok);
      assert.equal(answer.error, 'invalid_request');
      assert.ok(answer.message.length > 10);
    }
    assert.equal(socket.connected, true);
    ok(await subscribe(socket, { channel: 'top' }));
    assert.deepEqual(await socket.timeout(2000).emitWithAck('unsubscribe', { channel: 'top' }), {
      ok: true,
    });
  });
});
