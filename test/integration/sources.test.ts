import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFeedServer, startFeedThen } from '../helpers/feed-server.js';
import type { PostEvent } from '../../shared/contract/protocol.js';
import type {
  ErrorAnswer,
  PostsAnswer,
  SourcesAnswer,
  SourceView,
} from '../../shared/contract/http.js';
import { eventually, startKhabar, subscribe, type TestKhabar } from '../helpers/khabar.js';

const minutesAgo = (m: number): string => new Date(Date.now() - m * 60_000).toUTCString();

describe('feed sources', function () {
  this.timeout(30_000);
  let khabar: TestKhabar;
  beforeEach(async () => {
    khabar = await startKhabar({ env: { ALLOW_PRIVATE_FEEDS: 'true' } });
  });
  afterEach(async () => {
    await khabar.close();
  });

  async function source(id: string): Promise<SourceView> {
    return (await khabar.request('GET', `/api/sources/${id}`)).body as SourceView;
  }

  it('polls a feed into live posts: new items as post:new, a changed title as post:updated, nothing twice', async () => {
    const feed = await startFeedServer([
      {
        guid: 'a-1',
        title: 'गैंगस्टर नीरज बवाना का करीबी अमरजीत गिरफ्तार',
        link: 'https://www.indianews.in/bihar/1',
        pubDate: minutesAgo(46),
      },
      {
        guid: 'a-2',
        title: 'CM नीतीश पर सुधाकर सिंह का बड़ा हमला',
        link: 'https://www.indianews.in/bihar/2',
        pubDate: minutesAgo(21),
      },
    ]);
    try {
      const socket = await khabar.connect();
      assert.equal((await subscribe(socket, { channel: 'bihar', locale: 'hi' })).ok, true);
      const events: [string, PostEvent][] = [];
      socket.on('post:new', (e) => events.push(['post:new', e]));
      socket.on('post:updated', (e) => events.push(['post:updated', e]));

      const created = await khabar.request('POST', '/api/sources', {
        body: JSON.stringify({ url: feed.url, channels: ['bihar'], intervalSeconds: 60 }),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const { id } = created.body as SourceView;
      await eventually(() => (events.length === 2 ? true : undefined), 10_000);
      assert.deepEqual(
        events.map(([, e]) => e.post.ago),
        ['46 मिनट पहले', '21 मिनट पहले'],
      );
      const first = await eventually(async () =>
        (await source(id)).lastPoll?.status === 'ok' ? source(id) : undefined,
      );
      assert.deepEqual(
        [first.lastPoll?.items, first.lastPoll?.added, first.lastPoll?.updated],
        [2, 2, 0],
      );

      // Unchanged: the ETag answers 304 and nothing is pushed.
      assert.equal((await khabar.request('POST', `/api/sources/${id}/poll`)).status, 202);
      await eventually(async () =>
        (await source(id)).lastPoll?.status === 'not-modified' ? true : undefined,
      );

      feed.items[1]!.title = 'CM नीतीश पर सुधाकर सिंह का बड़ा हमला, कहा- ‘दाल में कुछ तो काला है’';
      feed.items.push({
        guid: 'a-3',
        title: '2 महीने के बच्चे की मां ने पटककर ली जान',
        link: 'https://www.indianews.in/bihar/3',
        pubDate: minutesAgo(1),
      });
      assert.equal((await khabar.request('POST', `/api/sources/${id}/poll`)).status, 202);
      await eventually(() => (events.length === 4 ? true : undefined), 10_000);
      assert.deepEqual(
        events
          .slice(2)
          .map(([type, e]) => [type, e.post.title])
          .sort(),
        [
          ['post:new', '2 महीने के बच्चे की मां ने पटककर ली जान'],
          ['post:updated', 'CM नीतीश पर सुधाकर सिंह का बड़ा हमला, कहा- ‘दाल में कुछ तो काला है’'],
        ].sort(),
      );
      const third = await source(id);
      assert.deepEqual(
        [third.lastPoll?.items, third.lastPoll?.added, third.lastPoll?.updated],
        [3, 1, 1],
      );
      assert.equal(third.consecutiveErrors, 0);
      assert.ok(
        khabar.logs.some((l) => l.event === 'source.polled' && l.sourceId === id && l.added === 1),
      );

      const posts = (await khabar.request('GET', '/api/posts?channel=bihar')).body as PostsAnswer;
      assert.equal(posts.posts.length, 3);
    } finally {
      await feed.close();
    }
  });

  async function addSource(url: string, channels: string[]): Promise<string> {
    const created = await khabar.request('POST', '/api/sources', {
      body: JSON.stringify({ url, channels, intervalSeconds: 60 }),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return (created.body as SourceView).id;
  }

  async function pollAndWait(id: string, polls: number): Promise<SourceView> {
    return eventually(async () => {
      const answer = (await khabar.request('GET', `/api/sources/${id}`)).body as SourceView;
      const done =
        khabar.logs.filter((l) => l.event === 'source.polled' && l.sourceId === id).length >= polls;
      return done ? answer : undefined;
    }, 10_000);
  }

  async function postsOf(
    channel: string,
  ): Promise<{ id: string; channels: string[]; publishedAt: string; title: string }[]> {
    return ((await khabar.request('GET', `/api/posts?channel=${channel}`)).body as PostsAnswer)
      .posts;
  }

  it('makes the same story in two feeds one post in both channels', async () => {
    const story = {
      guid: 'x',
      title: 'Same story',
      link: 'https://www.indianews.in/same?utm_source=rss',
      pubDate: minutesAgo(5),
    };
    const delhi = await startFeedServer([{ ...story, guid: 'delhi-1' }]);
    const bihar = await startFeedServer([{ ...story, guid: 'bihar-9' }]);
    try {
      await pollAndWait(await addSource(delhi.url, ['delhi']), 1);
      await pollAndWait(await addSource(bihar.url, ['bihar']), 1);
      const [inDelhi] = await postsOf('delhi');
      const [inBihar] = await postsOf('bihar');
      assert.equal(inDelhi?.id, inBihar?.id);
      assert.deepEqual(inBihar?.channels.sort(), ['bihar', 'delhi']);
    } finally {
      await delhi.close();
      await bihar.close();
    }
  });

  it('dates an undated item by when it was first seen, and keeps that date on later polls', async () => {
    const feed = await startFeedServer([
      { guid: 'u-1', title: 'Undated', link: 'https://example.com/undated', pubDate: '' },
    ]);
    try {
      const id = await addSource(feed.url, ['top']);
      await pollAndWait(id, 1);
      const [first] = await postsOf('top');
      feed.items.push({
        guid: 'u-2',
        title: 'Another',
        link: 'https://example.com/another',
        pubDate: minutesAgo(1),
      });
      assert.equal((await khabar.request('POST', `/api/sources/${id}/poll`)).status, 202);
      await pollAndWait(id, 2);
      const again = (await postsOf('top')).find((p) => p.title === 'Undated');
      assert.equal(again?.publishedAt, first?.publishedAt);
    } finally {
      await feed.close();
    }
  });

  it('does not bring back a post an editor removed while the feed still lists it', async () => {
    const feed = await startFeedServer([
      {
        guid: 'r-1',
        title: 'Retracted',
        link: 'https://example.com/retracted',
        pubDate: minutesAgo(3),
      },
    ]);
    try {
      const id = await addSource(feed.url, ['top']);
      await pollAndWait(id, 1);
      const [post] = await postsOf('top');
      assert.equal((await khabar.request('DELETE', `/api/articles/${post!.id}`)).status, 204);
      feed.items.push({
        guid: 'r-2',
        title: 'Fresh',
        link: 'https://example.com/fresh',
        pubDate: minutesAgo(1),
      });
      assert.equal((await khabar.request('POST', `/api/sources/${id}/poll`)).status, 202);
      const polled = await pollAndWait(id, 2);
      assert.deepEqual([polled.lastPoll?.added, polled.lastPoll?.items], [1, 2]);
      assert.deepEqual(
        (await postsOf('top')).map((p) => p.title),
        ['Fresh'],
      );
      // The producer itself re-sending through the API republishes.
      const resent = await khabar.postArticles({
        url: 'https://example.com/retracted',
        title: 'Retracted',
      });
      assert.equal(resent.status, 202);
      await eventually(async () => ((await postsOf('top')).length === 2 ? true : undefined));
    } finally {
      await feed.close();
    }
  });

  it('lists, shows and deletes sources; a deleted source is 404', async () => {
    const feed = await startFeedServer([]);
    try {
      const created = await khabar.request('POST', '/api/sources', {
        body: JSON.stringify({ url: feed.url }),
      });
      const { id, channels, intervalSeconds } = created.body as SourceView;
      assert.deepEqual([channels, intervalSeconds], [['top'], 300]);
      const again = await khabar.request('POST', '/api/sources', {
        body: JSON.stringify({ url: feed.url }),
      });
      assert.equal(again.status, 409);
      const list = (await khabar.request('GET', '/api/sources')).body as SourcesAnswer;
      assert.deepEqual(
        list.sources.map((s) => s.id),
        [id],
      );
      assert.equal((await khabar.request('DELETE', `/api/sources/${id}`)).status, 204);
      assert.equal((await khabar.request('GET', `/api/sources/${id}`)).status, 404);
      assert.equal((await khabar.request('POST', `/api/sources/${id}/poll`)).status, 404);
    } finally {
      await feed.close();
    }
  });

  it('reports a feed that turned into a page as an error on the source, and backs off', async () => {
    // A feed when added (a page naming no feed is refused then: feed-discovery.test.ts), a page
    // on every poll.
    const { url, close } = await startFeedThen((res) =>
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<html><body>Document Moved</body></html>'),
    );
    try {
      const { id } = (
        await khabar.request('POST', '/api/sources', {
          body: JSON.stringify({ url, intervalSeconds: 60 }),
        })
      ).body as SourceView;
      const failed = await eventually(async () =>
        (await source(id)).lastPoll?.status === 'error' ? source(id) : undefined,
      );
      assert.equal(failed.consecutiveErrors, 1);
      assert.match(failed.lastPoll?.error ?? '', /not_a_feed/);
      assert.ok(Date.parse(failed.nextPollAt) - Date.parse(failed.lastPoll!.at) >= 50_000);
    } finally {
      await close();
    }
  });

  it('polls a billion-laughs feed without expanding it: the entity stays literal text, nothing hangs', async () => {
    const laughs = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE rss [<!ENTITY lol "lol">',
      ...Array.from(
        { length: 9 },
        (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
      ),
      ']>',
      '<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><link>https://example.com/lol</link></item></channel></rss>',
    ].join('\n');
    const server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(laughs),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed`;
      const id = await addSource(url, ['top']);
      const polled = await pollAndWait(id, 1);
      const posts = await postsOf('top');
      // Either the item is kept with its entity unexpanded, or the poll is refused; never a
      // billion "lol"s.
      assert.ok(
        posts.every((p) => p.title.length < 300),
        JSON.stringify(posts),
      );
      assert.ok(['ok', 'error'].includes(polled.lastPoll?.status ?? ''));
      console.log(
        `      billion laughs: poll ${polled.lastPoll?.status}, ${posts.length} post(s), titles ${JSON.stringify(posts.map((p) => p.title))}`,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses bad sources with 4xx and a reason, storing nothing', async () => {
    const strict = await startKhabar({ workers: false });
    try {
      const cases: [unknown, number, string][] = [
        [{}, 400, 'invalid_source'],
        [{ url: 'ftp://example.com/feed' }, 400, 'invalid_source'],
        [{ url: 'https://example.com/feed', intervalSeconds: 5 }, 400, 'invalid_source'],
        [{ url: 'https://example.com/feed', channels: ['Bihar'] }, 400, 'invalid_source'],
        [{ url: 'http://127.0.0.1:9/feed' }, 400, 'blocked_address'],
        [{ url: 'http://[::ffff:127.0.0.1]/feed' }, 400, 'blocked_address'],
        // Private by spelling, whatever DNS answers (and DNS failing must not let them in).
        [{ url: 'http://localhost.:9/feed' }, 400, 'blocked_address'],
        [{ url: 'http://feed.localhost/feed' }, 400, 'blocked_address'],
        [{ url: 'http://printer.local/feed' }, 400, 'blocked_address'],
      ];
      for (const [body, status, error] of cases) {
        const answer = await strict.request('POST', '/api/sources', { body: JSON.stringify(body) });
        assert.equal(answer.status, status, JSON.stringify(body));
        assert.equal((answer.body as ErrorAnswer).error, error, JSON.stringify(body));
        if (error === 'blocked_address') {
          const { message } = answer.body as ErrorAnswer;
          assert.doesNotMatch(message, /\(\d+\.\d+\.\d+\.\d+\)/, 'no resolved address');
        }
      }
      assert.equal(
        (await strict.request('POST', '/api/sources', { token: null, body: '{}' })).status,
        401,
      );
      const list = (await strict.request('GET', '/api/sources')).body as SourcesAnswer;
      assert.deepEqual(list.sources, []);
    } finally {
      await strict.close();
    }
  });
});
