import assert from 'node:assert/strict';
import { io as connectClient, type Socket } from 'socket.io-client';
import { createIngestQueue } from '../../shared/domain/ingest-queue.js';
import type {
  ArticlesAccepted,
  DemoSampleAccepted,
  ErrorAnswer,
  FailedJobsAnswer,
  SourceView,
} from '../../shared/contract/http.js';
import type { NewsroomClientEvents, NewsroomServerEvents } from '../../shared/contract/protocol.js';
import { QUEUE_FIGURES } from '../../shared/domain/queue-history.js';
import { startFeedServer } from '../helpers/feed-server.js';
import {
  eventually,
  startKhabar,
  subscribe,
  TEST_TOKEN,
  type TestKhabar,
} from '../helpers/khabar.js';

type NewsroomSocket = Socket<NewsroomServerEvents, NewsroomClientEvents>;
type NewsroomEvent = keyof NewsroomServerEvents;
type Payload<E extends NewsroomEvent> = Parameters<NewsroomServerEvents[E]>[0];

const NEWSROOM_TOKEN = 'newsroom-token-0123456789abcdef';
const env = { NEWSROOM_TOKENS: NEWSROOM_TOKEN, ALLOW_PRIVATE_FEEDS: 'true' };
const timings = { presenceIntervalMs: 100, newsroomIntervalMs: 100 };

/** Connects to /newsroom; resolves once connected, rejects with the connect_error. */
function connectNewsroom(
  url: string,
  auth: Record<string, unknown> | undefined,
  options: {
    origin?: string;
    reconnection?: boolean;
    transports?: ('websocket' | 'polling')[];
  } = {},
): Promise<NewsroomSocket> {
  const socket: NewsroomSocket = connectClient(`${url}/newsroom`, {
    transports: options.transports ?? ['websocket'],
    forceNew: true,
    reconnection: options.reconnection ?? false,
    ...(auth ? { auth } : {}),
    ...(options.origin ? { extraHeaders: { origin: options.origin } } : {}),
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      resolve(socket);
    });
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Everything a socket receives, by event name, in order. */
function record(socket: {
  onAny: (listener: (event: string, ...args: unknown[]) => void) => void;
}) {
  const seen: { event: string; payload: unknown }[] = [];
  socket.onAny((event, payload) => {
    seen.push({ event, payload });
  });
  return seen;
}

/** The first recorded `event` whose payload satisfies `accept`, waiting for it. */
function received<E extends NewsroomEvent>(
  seen: { event: string; payload: unknown }[],
  event: E,
  accept: (payload: Payload<E>) => boolean = () => true,
  timeoutMs = 8000,
): Promise<Payload<E>> {
  return eventually(() => {
    const hit = seen.find((s) => s.event === event && accept(s.payload as Payload<E>));
    return hit?.payload as Payload<E> | undefined;
  }, timeoutMs);
}

describe('the /newsroom namespace', function () {
  this.timeout(30_000);
  let khabar: TestKhabar;
  const opened: { close: () => unknown }[] = [];
  beforeEach(async () => {
    khabar = await startKhabar({ env, timings });
  });
  afterEach(async () => {
    for (const socket of opened.splice(0)) socket.close();
    await khabar.close();
  });

  async function dashboard(auth: Record<string, unknown> = { token: NEWSROOM_TOKEN }) {
    const socket = await connectNewsroom(khabar.url, auth);
    opened.push(socket);
    return { socket, seen: record(socket) };
  }

  describe('authentication', () => {
    for (const [name, auth] of [
      ['no auth at all', undefined],
      ['an empty token', { token: '' }],
      ['a wrong token', { token: 'wrong-token-0123456789abcdef' }],
      ['the ingest token', { token: TEST_TOKEN }],
      ['a token that is not a string', { token: 12345 }],
    ] as const) {
      it(`refuses ${name} with "unauthorized"`, async () => {
        await assert.rejects(connectNewsroom(khabar.url, auth), { message: 'unauthorized' });
        assert.ok(
          khabar.logs.some((l) => l.event === 'newsroom.refused'),
          'the refusal is logged',
        );
        assert.ok(
          !JSON.stringify(khabar.logs).includes('wrong-token-0123456789abcdef'),
          'the token itself is never logged',
        );
      });
    }

    it('accepts a token from NEWSROOM_TOKENS, over websocket and over long-polling', async () => {
      const ws = await connectNewsroom(khabar.url, { token: NEWSROOM_TOKEN });
      const polling = await connectNewsroom(
        khabar.url,
        { token: NEWSROOM_TOKEN },
        { transports: ['polling'] },
      );
      assert.equal(ws.connected && polling.connected, true);
      ws.close();
      polling.close();
    });

    it('checks the token again on every reconnection', async () => {
      const socket = await connectNewsroom(
        khabar.url,
        { token: NEWSROOM_TOKEN },
        { reconnection: true },
      );
      opened.push(socket);
      const refused = new Promise<Error>((resolve) => socket.once('connect_error', resolve));
      socket.auth = { token: 'revoked-token-0123456789abcdef' };
      socket.io.engine.close(); // the transport drops; the manager reconnects by itself
      assert.equal((await refused).message, 'unauthorized');
      assert.equal(socket.connected, false);
    });

    it("refuses a browser page on another origin, and allows the server's own", async () => {
      const auth = { token: NEWSROOM_TOKEN };
      await assert.rejects(connectNewsroom(khabar.url, auth, { origin: 'https://evil.example' }), {
        message: 'unauthorized',
      });
      const own = await connectNewsroom(khabar.url, auth, { origin: khabar.url });
      own.close();
      assert.ok(
        khabar.logs.some(
          (l) => l.event === 'newsroom.refused' && l.reason === 'origin_not_allowed',
        ),
      );
    });

    it('allows the origins of CORS_ORIGINS, and never "*"', async () => {
      const listed = await startKhabar({
        env: { ...env, CORS_ORIGINS: 'https://desk.example.com' },
        workers: false,
      });
      try {
        const auth = { token: NEWSROOM_TOKEN };
        const socket = await connectNewsroom(listed.url, auth, {
          origin: 'https://desk.example.com',
        });
        socket.close();
        await assert.rejects(
          connectNewsroom(listed.url, auth, { origin: 'https://other.example.com' }),
          { message: 'unauthorized' },
        );
      } finally {
        await listed.close();
      }
      // The default CORS_ORIGINS is "*": it opens the public side, not the newsroom.
      await assert.rejects(
        connectNewsroom(khabar.url, { token: NEWSROOM_TOKEN }, { origin: 'https://a.example' }),
        { message: 'unauthorized' },
      );
    });
  });

  it('pushes every channel’s posts, with labels in the dashboard’s locale', async () => {
    const { seen } = await dashboard({ token: NEWSROOM_TOKEN, locale: 'hi' });
    const publishedAt = new Date(Date.now() - 21 * 60_000).toISOString();
    const answer = await khabar.postArticles({
      articles: [
        { url: 'https://example.com/nr/1', title: 'Bihar story', channel: 'bihar', publishedAt },
        { url: 'https://example.com/nr/2', title: 'Delhi story', channel: 'delhi' },
      ],
    });
    assert.equal(answer.status, 202);
    const bihar = await received(seen, 'post:new', (e) => e.channel === 'bihar');
    assert.equal(bihar.post.title, 'Bihar story');
    assert.equal(bihar.post.ago, '21 मिनट पहले');
    assert.equal(bihar.seq, 1);
    await received(seen, 'post:new', (e) => e.channel === 'delhi');

    const id = bihar.post.id;
    assert.equal((await khabar.request('DELETE', `/api/articles/${id}`)).status, 204);
    const removed = await received(seen, 'post:removed', (e) => e.id === id);
    assert.equal(removed.channel, 'bihar');
  });

  it('tells of every article accepted and rejected by the API, the accepted with its title', async () => {
    const { seen } = await dashboard();
    const answer = await khabar.postArticles({
      articles: [{ url: 'https://example.com/nr/ok', title: 'Fine' }, { url: 'not a url' }],
    });
    assert.equal(answer.status, 202);
    const [accepted] = (answer.body as ArticlesAccepted).accepted;
    const event = await received(seen, 'ingest:accepted');
    assert.deepEqual(event, {
      id: accepted!.id,
      jobId: accepted!.jobId,
      source: 'api',
      title: 'Fine',
    });
    const rejected = await received(seen, 'ingest:rejected');
    assert.equal(rejected.source, 'api');
    assert.equal(rejected.error, 'invalid_article');
    assert.deepEqual(rejected.details.map((d) => d.path).sort(), [
      'articles[1].title',
      'articles[1].url',
    ]);
  });

  it('tells of a sample article from the demo publisher as accepted from "demo", with its title', async () => {
    const { seen } = await dashboard();
    const answer = await khabar.request('POST', '/api/demo/sample', { token: null });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const [sample] = (answer.body as DemoSampleAccepted).accepted;
    assert.ok(sample);
    const event = await received(seen, 'ingest:accepted', (e) => e.id === sample.id);
    assert.deepEqual(event, {
      id: sample.id,
      jobId: sample.jobId,
      source: 'demo',
      title: sample.title,
    });
  });

  it('tells of a failed job, whose retry runs it again and whose drop removes it', async () => {
    const { seen } = await dashboard();
    // A job the worker cannot process (the API would never queue it): it fails for good.
    const queue = createIngestQueue(khabar.redis, khabar.keys);
    const job = await queue.add('article', {
      article: { id: 'pbroken', url: 'https://example.com/broken', title: '', channels: [] },
      acceptedAt: Date.now(),
      source: 'api',
    });
    await queue.close();
    const failed = await received(seen, 'ingest:failed', (e) => e.jobId === job.id);
    assert.equal(failed.final, true);
    assert.equal(failed.attemptsMade, 1);
    assert.equal(failed.postId, 'pbroken');
    assert.match(failed.error, /invalid article/);
    const line = khabar.logs.find((l) => l.event === 'job.failed' && l.jobId === job.id);
    assert.ok(line, 'job.failed is logged');
    assert.deepEqual(
      [line.queue, line.postId, line.attemptsMade, line.final],
      ['ingest', 'pbroken', 1, true],
    );
    assert.match((line.err as { message: string }).message, /invalid article/);

    const listed = await khabar.request('GET', '/api/jobs?state=failed', { token: NEWSROOM_TOKEN });
    assert.equal(listed.status, 200);
    const [row] = (listed.body as FailedJobsAnswer).jobs;
    assert.ok(row, 'the failed job is listed');
    assert.equal(row.id, job.id);
    assert.equal(row.postId, 'pbroken');
    assert.match(row.error, /invalid article/);

    const retried = await khabar.request('POST', `/api/jobs/${job.id}/retry`, {
      token: NEWSROOM_TOKEN,
    });
    assert.equal(retried.status, 202);
    assert.deepEqual(retried.body, { id: job.id, state: 'waiting' });
    const again = await received(
      seen,
      'ingest:failed',
      (e) => e.jobId === job.id && e.attemptsMade === 2,
    );
    assert.equal(again.final, true);

    assert.equal(
      (await khabar.request('DELETE', `/api/jobs/${job.id}`, { token: NEWSROOM_TOKEN })).status,
      204,
    );
    const after = await khabar.request('GET', '/api/jobs', { token: NEWSROOM_TOKEN });
    assert.deepEqual((after.body as FailedJobsAnswer).jobs, []);
    assert.ok(khabar.logs.some((l) => l.event === 'job.retried' && l.jobId === job.id));
    assert.ok(khabar.logs.some((l) => l.event === 'job.removed' && l.jobId === job.id));
  });

  it('tells of every feed poll', async () => {
    const { seen } = await dashboard();
    const feed = await startFeedServer([
      {
        guid: 'g1',
        title: 'From the feed',
        link: 'https://example.com/feed/1',
        pubDate: new Date().toUTCString(),
      },
    ]);
    try {
      const created = await khabar.request('POST', '/api/sources', {
        body: JSON.stringify({ url: feed.url, channels: ['bihar'], intervalSeconds: 60 }),
      });
      assert.equal(created.status, 201);
      const { id } = created.body as SourceView;
      const polled = await received(seen, 'source:polled', (e) => e.sourceId === id);
      assert.equal(polled.status, 'ok');
      assert.equal(polled.url, feed.url);
      assert.equal(polled.items, 1);
      assert.equal(polled.added, 1);
      assert.ok(!Number.isNaN(Date.parse(polled.nextPollAt)));
      await received(seen, 'post:new', (e) => e.post.title === 'From the feed');
      // The same poll, as SPEC §8's log line.
      const line = khabar.logs.find((l) => l.event === 'source.polled' && l.sourceId === id);
      assert.ok(line, 'source.polled is logged');
      assert.deepEqual(
        [line.status, line.items, line.added, line.updated, line.nextPollAt],
        ['ok', 1, 1, 0, polled.nextPollAt],
      );
    } finally {
      await feed.close();
    }
  });

  it('sends queue:stats and presence at once and then every interval', async () => {
    const reader = await khabar.connect();
    assert.equal((await subscribe(reader, { channel: 'bihar' })).ok, true);
    const { seen } = await dashboard();
    const presence = await received(seen, 'presence', (e) => e.channels.bihar === 1);
    assert.deepEqual(presence, { channels: { bihar: 1 } });
    const ingest = await received(seen, 'queue:stats', (e) => e.queue === 'ingest');
    for (const field of QUEUE_FIGURES) assert.equal(typeof ingest[field], 'number', field);
    await received(seen, 'queue:stats', (e) => e.queue === 'poll');
    await eventually(() =>
      seen.filter((s) => s.event === 'presence').length >= 3 ? true : undefined,
    );

    reader.disconnect();
    await received(seen, 'presence', (e) => e.channels.bihar === undefined);
  });

  it('reaches dashboards on another node, whichever node or worker produced the event', async () => {
    const other = await startKhabar({
      env: { ...env, KEY_PREFIX: khabar.config.keyPrefix },
      workers: false,
      timings,
    });
    try {
      const socket = await connectNewsroom(other.url, { token: NEWSROOM_TOKEN });
      opened.push(socket);
      const seen = record(socket);
      assert.equal(
        (await khabar.postArticles({ url: 'https://example.com/nr/x', title: 'Across' })).status,
        202,
      );
      await received(seen, 'ingest:accepted');
      const event = await received(seen, 'post:new');
      assert.equal(event.post.title, 'Across');
    } finally {
      await other.close();
    }
  });

  it('sends public clients none of it', async () => {
    const reader = await khabar.connect();
    const publicSeen = record(reader);
    assert.equal((await subscribe(reader, { channel: 'top' })).ok, true);
    const { seen } = await dashboard();
    await khabar.postArticles({
      articles: [
        { url: 'https://example.com/nr/p1', title: 'Public', channel: 'top' },
        { url: 'https://example.com/nr/p2', title: 'Elsewhere', channel: 'delhi' },
        { title: 'rejected' },
      ],
    });
    await received(seen, 'post:new', (e) => e.channel === 'delhi');
    await received(seen, 'queue:stats');
    await received(seen, 'presence');
    await eventually(() => (publicSeen.length > 0 ? true : undefined));
    assert.deepEqual(
      publicSeen.map((s) => s.event),
      ['post:new'],
      'one post:new for the channel it watches, nothing else',
    );
  });
});

describe('CORS on the HTTP API', function () {
  it('opens public reads to CORS_ORIGINS, and the token API only to listed origins', async () => {
    const preflight = (url: string, origin: string) =>
      fetch(`${url}/api/jobs`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
    const open = await startKhabar({ env, workers: false });
    const listed = await startKhabar({
      env: { ...env, CORS_ORIGINS: 'https://desk.example.com' },
      workers: false,
    });
    try {
      const read = await fetch(`${open.url}/api/posts?channel=top`, {
        headers: { origin: 'https://news.example' },
      });
      assert.equal(read.headers.get('access-control-allow-origin'), '*');
      // With "*", no page may send a token from another origin.
      const refused = await preflight(open.url, 'https://news.example');
      assert.equal(refused.headers.get('access-control-allow-origin'), null);

      const allowed = await preflight(listed.url, 'https://desk.example.com');
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://desk.example.com');
      assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /Authorization/i);
      const stranger = await preflight(listed.url, 'https://other.example');
      assert.equal(stranger.headers.get('access-control-allow-origin'), null);
    } finally {
      await open.close();
      await listed.close();
    }
  });
});

describe('the editors’ HTTP API', function () {
  this.timeout(20_000);
  let khabar: TestKhabar;
  before(async () => {
    khabar = await startKhabar({ env, workers: false });
  });
  after(async () => {
    await khabar.close();
  });

  it('asks for a token on /api/jobs, and takes an ingest or a newsroom token', async () => {
    assert.equal((await khabar.request('GET', '/api/jobs', { token: null })).status, 401);
    const wrong = await khabar.request('GET', '/api/jobs', { token: 'nope-0123456789abcdefgh' });
    assert.equal(wrong.status, 403);
    assert.match((wrong.body as ErrorAnswer).message, /NEWSROOM_TOKENS/);
    for (const token of [TEST_TOKEN, NEWSROOM_TOKEN])
      assert.equal((await khabar.request('GET', '/api/jobs', { token })).status, 200);
  });

  it('takes a newsroom token for reading sources and retracting, not for writing', async () => {
    const token = NEWSROOM_TOKEN;
    assert.equal((await khabar.request('GET', '/api/sources', { token })).status, 200);
    assert.equal((await khabar.request('DELETE', '/api/articles/punknown', { token })).status, 404);
    const write = await khabar.postArticles(
      { url: 'https://example.com/w', title: 'W' },
      { token },
    );
    assert.equal(write.status, 403);
    const source = await khabar.request('POST', '/api/sources', {
      token,
      body: JSON.stringify({ url: 'https://example.com/feed' }),
    });
    assert.equal(source.status, 403);
  });

  it('answers 404 for an unknown job, 409 for one that has not failed, 400 for a bad query', async () => {
    const token = NEWSROOM_TOKEN;
    for (const id of ['999999', 'no such job!', 'x'.repeat(200)]) {
      const answer = await khabar.request('POST', `/api/jobs/${encodeURIComponent(id)}/retry`, {
        token,
      });
      assert.equal(answer.status, 404, id);
    }
    const posted = await khabar.postArticles({ url: 'https://example.com/waiting', title: 'Wait' });
    const { jobId } = (posted.body as ArticlesAccepted).accepted[0]!;
    const retry = await khabar.request('POST', `/api/jobs/${jobId}/retry`, { token });
    assert.equal(retry.status, 409);
    assert.match((retry.body as ErrorAnswer).message, /is waiting, not failed/);
    assert.equal((await khabar.request('DELETE', `/api/jobs/${jobId}`, { token })).status, 409);
    for (const query of ['state=waiting', 'limit=0', 'limit=500', 'limit=ten']) {
      const answer = await khabar.request('GET', `/api/jobs?${query}`, { token });
      assert.equal(answer.status, 400, query);
    }
  });
});
