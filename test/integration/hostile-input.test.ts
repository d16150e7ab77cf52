import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { ErrorAnswer, PostsAnswer, SourceView } from '../../shared/contract/http.js';
import { LOCALE_CACHE_LIMIT, localeCacheSizes } from '../../shared/contract/relative-time.js';
import { eventually, startKhabar, subscribe, type TestKhabar } from '../helpers/khabar.js';

/** The log lines at error level (50) and above since `from`. */
const errorLines = (khabar: TestKhabar, from: number) =>
  khabar.logs.slice(from).filter((l) => l.level >= 50);

describe('hostile input', function () {
  this.timeout(60_000);
  let khabar: TestKhabar;
  before(async () => {
    khabar = await startKhabar();
    const posted = await khabar.postArticles({ url: 'https://example.com/a', title: 'A story' });
    assert.equal(posted.status, 202);
    await eventually(async () => {
      const { body } = await khabar.request('GET', '/api/posts?channel=top', { token: null });
      return (body as PostsAnswer).posts.length === 1 ? true : undefined;
    });
  });
  after(async () => {
    await khabar.close();
  });

  describe('distinct locales (each one a well-formed tag)', function () {
    it('keep the label caches bounded over 2,000 HTTP reads, every label in the locale asked', async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < 2000) {
            const n = next++;
            const { status, body } = await khabar.request(
              'GET',
              `/api/posts?channel=top&locale=hi-x-${n}`,
              { token: null },
            );
            assert.equal(status, 200);
            assert.equal((body as PostsAnswer).posts[0]?.ago, 'अब');
          }
        }),
      );
      const sizes = localeCacheSizes();
      assert.ok(sizes.formatters <= LOCALE_CACHE_LIMIT && sizes.resolved <= LOCALE_CACHE_LIMIT);
    });

    it('put every subscriber of one language in one room, whatever private-use tags they send', async () => {
      for (let n = 0; n < 20; n++) {
        const socket = await khabar.connect();
        const answer = await subscribe(socket, { channel: 'top', locale: `hi-x-${n}` });
        assert.equal(answer.ok, true);
      }
      const rooms = [...khabar.node.app.io.of('/').adapter.rooms.keys()].filter((room) =>
        room.startsWith('ch:top:'),
      );
      assert.deepEqual(rooms, ['ch:top:hi']);
    });
  });

  describe('malformed percent-encoding in a path', function () {
    const paths: [string, string][] = [
      ['DELETE', '/api/articles/%'],
      ['DELETE', '/api/articles/%E0%A4'],
      ['GET', '/api/sources/%'],
      ['DELETE', '/api/sources/%'],
      ['POST', '/api/sources/%/poll'],
      ['POST', '/api/jobs/%E0%A4/retry'],
      ['DELETE', '/api/jobs/%'],
    ];
    for (const [method, path] of paths) {
      it(`answers 400 invalid_path for ${method} ${path}, logged at warn`, async () => {
        const from = khabar.logs.length;
        const { status, body } = await khabar.request(method, path);
        assert.equal(status, 400, JSON.stringify(body));
        assert.equal((body as ErrorAnswer).error, 'invalid_path');
        assert.match((body as ErrorAnswer).message, /percent-encod/);
        assert.deepEqual(errorLines(khabar, from), []);
        assert.ok(
          khabar.logs.slice(from).some((l) => l.level === 40 && l.event === 'http.bad_request'),
        );
      });
    }
  });

  describe('bodies that cannot be read', function () {
    const article = JSON.stringify({ url: 'https://example.com/gz', title: 'Gzipped' });

    for (const [name, bytes] of [
      ['not gzip at all', Buffer.from(article)],
      ['cut off half way', gzipSync(article).subarray(0, 20)],
    ] as const) {
      it(`answers 400 for a gzip body ${name}, and logs no error`, async () => {
        const from = khabar.logs.length;
        const response = await fetch(`${khabar.url}/api/articles`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${khabar.config.ingestTokens[0] ?? ''}`,
            'content-type': 'application/json',
            'content-encoding': 'gzip',
          },
          body: bytes,
        });
        const body = (await response.json()) as ErrorAnswer;
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(body.error, 'invalid_body');
        assert.match(body.message, /gzip/);
        assert.deepEqual(errorLines(khabar, from), []);
      });
    }

    it('logs a body the client abandons at debug, not as a 500', async () => {
      const from = khabar.logs.length;
      const { port } = new URL(khabar.url);
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(
        `POST /api/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${khabar.config.ingestTokens[0] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"url":`,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
      const line = await eventually(() =>
        khabar.logs.slice(from).find((l) => l.event === 'http.aborted'),
      );
      assert.equal(line.level, 20);
      assert.deepEqual(errorLines(khabar, from), []);
      // A hang-up raises ECONNABORTED, which must not pass for Redis going away.
      assert.ok(!khabar.logs.slice(from).some((l) => String(l.event).startsWith('redis.')));
    });
  });

  it('stores titles, summaries and bylines without bidi overrides, and keeps the marks Urdu needs', async () => {
    const posted = await khabar.postArticles({
      url: 'https://example.com/bidi',
      title: 'Budget \u202Eteg\u202C passed \u2067today\u2069',
      summary: 'قیمت \u200F۵۰\u200E روپے \u202D',
      author: '\u202EDesk',
      channel: 'bidi',
    });
    assert.equal(posted.status, 202, JSON.stringify(posted.body));
    const post = await eventually(async () => {
      const { body } = await khabar.request('GET', '/api/posts?channel=bidi', { token: null });
      return (body as PostsAnswer).posts[0];
    });
    assert.deepEqual(
      [post.title, post.summary, post.author],
      ['Budget teg passed today', 'قیمت \u200F۵۰\u200E روپے', 'Desk'],
    );
  });

  describe('messages a person can act on', function () {
    it('names the real limit of /api/sources (16 KiB) when its body is too large', async () => {
      const { status, body } = await khabar.request('POST', '/api/sources', {
        body: JSON.stringify({ url: `https://example.com/${'a'.repeat(20_000)}` }),
      });
      assert.equal(status, 413);
      assert.match((body as ErrorAnswer).message, /16 KiB/);
      assert.doesNotMatch((body as ErrorAnswer).message, /1 MiB|articles/);
    });

    it('names the encoding it cannot read and the ones it can', async () => {
      const response = await fetch(`${khabar.url}/api/articles`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${khabar.config.ingestTokens[0] ?? ''}`,
          'content-type': 'application/json',
          'content-encoding': 'compress',
        },
        body: '{}',
      });
      const body = (await response.json()) as ErrorAnswer;
      assert.equal(response.status, 415);
      assert.match(body.message, /"compress"/);
      assert.match(body.message, /gzip/);
    });

    it('says "the article" for a batch of one, not "none of the 1 articles"', async () => {
      const { status, body } = await khabar.postArticles({ articles: [{ title: 'no url' }] });
      assert.equal(status, 400);
      assert.doesNotMatch((body as ErrorAnswer).message, /1 articles/);
      assert.match((body as ErrorAnswer).message, /article/);
    });

    it('calls a null body what it is, for sources and for a socket subscribe', async () => {
      const source = await khabar.request('POST', '/api/sources', { body: 'null' });
      assert.equal(source.status, 400);
      assert.match((source.body as ErrorAnswer).message, /JSON object/);
      assert.doesNotMatch((source.body as ErrorAnswer).message, /Invalid input|not valid JSON/);

      const socket = await khabar.connect();
      for (const request of [null, 'top', 42, []]) {
        const answer = (await socket.emitWithAck('subscribe', request as never)) as {
          ok: boolean;
          message?: string;
        };
        assert.equal(answer.ok, false);
        assert.doesNotMatch(answer.message ?? '', /Invalid input|expected|received/);
        assert.match(answer.message ?? '', /channel/);
      }
    });
  });

  describe('a feed that asks never to be polled again', function () {
    let feeds: TestKhabar;
    let publisher: Server;
    let answer: (res: ServerResponse) => void;
    before(async () => {
      feeds = await startKhabar({ env: { ALLOW_PRIVATE_FEEDS: 'true' } });
      // Each source's URL is new: its first request, when the source is added, is answered
      // with a plain feed (a URL that fails then is refused); its polls get `answer`.
      const added = new Set<string>();
      publisher = createServer((req, res) => {
        if (added.has(req.url ?? '')) {
          answer(res);
          return;
        }
        added.add(req.url ?? '');
        res.writeHead(200, { 'content-type': 'application/rss+xml' }).end('<rss><channel/></rss>');
      });
      await new Promise<void>((resolve) => publisher.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      await new Promise((resolve) => publisher.close(resolve));
      await feeds.close();
    });

    async function pollOnce(): Promise<SourceView> {
      const { port } = publisher.address() as AddressInfo;
      const created = await feeds.request('POST', '/api/sources', {
        body: JSON.stringify({ url: `http://127.0.0.1:${port}/feed?${Math.random()}` }),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const { id } = created.body as SourceView;
      return eventually(async () => {
        const view = (await feeds.request('GET', `/api/sources/${id}`)).body as SourceView;
        return view.lastPoll ? view : undefined;
      }, 10_000);
    }

    const dayMs = 24 * 3_600_000;
    const withinADay = (view: SourceView): void => {
      const waitMs = Date.parse(view.nextPollAt) - Date.parse(view.lastPoll?.at ?? '');
      // 24 h, give or take the ±10 % jitter that keeps sources from polling in step.
      assert.ok(waitMs <= dayMs * 1.1, `next poll in ${Math.round(waitMs / 3_600_000)} h`);
      assert.match(view.lastPoll?.notice ?? '', /at most 24 h/);
    };

    it('caps Cache-Control: max-age=999999999999 at 24 h, and says so', async () => {
      answer = (res) => {
        res
          .writeHead(200, {
            'content-type': 'application/rss+xml',
            'cache-control': 'max-age=999999999999',
          })
          .end(
            '<rss version="2.0"><channel><title>t</title><item><title>x</title><link>https://example.com/x</link></item></channel></rss>',
          );
      };
      const view = await pollOnce();
      assert.equal(view.lastPoll?.status, 'ok');
      withinADay(view);
    });

    it('caps a 429 with Retry-After: 999999999 at 24 h, and says so', async () => {
      answer = (res) => {
        res.writeHead(429, { 'retry-after': '999999999' }).end();
      };
      const view = await pollOnce();
      assert.equal(view.lastPoll?.status, 'error');
      withinADay(view);
    });

    it('says when an item date names a zone Khabar does not know (read as UTC)', async () => {
      answer = (res) => {
        res
          .writeHead(200, { 'content-type': 'application/rss+xml' })
          .end(
            '<rss version="2.0"><channel><title>t</title><item><title>x</title><link>https://example.com/zone</link><pubDate>Tue, 10 Jun 2025 09:00:00 XYZ</pubDate></item></channel></rss>',
          );
      };
      const view = await pollOnce();
      assert.equal(view.lastPoll?.status, 'ok');
      assert.equal(
        view.lastPoll.notice,
        'The date of 1 item may be off: unknown time zone "XYZ", read as UTC.',
      );
    });
  });
});
