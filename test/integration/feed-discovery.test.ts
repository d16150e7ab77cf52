import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { checkUrlHost } from '../../shared/domain/address-guard.js';
import type { PollQueue, SourceStore } from '../../shared/domain/sources.js';
import type {
  ErrorAnswer,
  PostsAnswer,
  SourcesAnswer,
  SourceView,
} from '../../shared/contract/http.js';
import { AppError } from '../../shared/infra/errors.js';
import { sourcesRouter } from '../../server/http/sources.js';
import { startFeedServer } from '../helpers/feed-server.js';
import { answer, eventually, startKhabar, type TestKhabar } from '../helpers/khabar.js';
import { FEED_HOST, onlyFeedHost } from '../helpers/loopback-servers.js';

/** An HTTP server on loopback for one test; `host` 127.0.0.2 plays a public host. */
async function serve(
  handler: RequestListener,
  host = '127.0.0.1',
): Promise<{ origin: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    origin: `http://${host}:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

const html = (head: string): string =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Bihar news</title>${head}</head><body><h1>Bihar</h1></body></html>`;

const sendHtml =
  (body: string): RequestListener =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
  };

describe('feed discovery: POST /api/sources with a web page', function () {
  this.timeout(30_000);
  let khabar: TestKhabar;
  const closing: (() => Promise<void>)[] = [];
  beforeEach(async () => {
    khabar = await startKhabar({ env: { ALLOW_PRIVATE_FEEDS: 'true' } });
  });
  afterEach(async () => {
    await Promise.all(closing.splice(0).map((close) => close()));
    await khabar.close();
  });

  async function started<T extends { close: () => Promise<void> }>(server: Promise<T>): Promise<T> {
    const running = await server;
    closing.push(() => running.close());
    return running;
  }

  async function sources(): Promise<SourceView[]> {
    return ((await khabar.request('GET', '/api/sources')).body as SourcesAnswer).sources;
  }

  it('follows the feed the page names: url is the feed, page the page, and its items become posts', async () => {
    const feed = await started(
      startFeedServer([
        {
          guid: 'd1',
          title: 'Found through the page',
          link: 'https://example.com/d1',
          pubDate: new Date().toUTCString(),
        },
      ]),
    );
    // The feed server serves its feed at any path; the page names it relative to a <base>.
    const site = await started(
      serve(
        sendHtml(
          html(
            `<base href="${new URL('/', feed.url).href}">` +
              '<link rel="alternate" type="application/rss+xml" title="Bihar" href="feed">',
          ),
        ),
      ),
    );
    const pageUrl = `${site.origin}/bihar/`;
    const created = await khabar.request('POST', '/api/sources', {
      body: JSON.stringify({ url: pageUrl, channels: ['bihar'], intervalSeconds: 60 }),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const source = created.body as SourceView;
    assert.equal(source.url, feed.url);
    assert.equal(source.page, pageUrl);
    assert.deepEqual(site.requests, ['/bihar/'], 'the page was fetched once');
    const shown = (await khabar.request('GET', `/api/sources/${source.id}`)).body as SourceView;
    assert.equal(shown.page, pageUrl);
    const polled = await eventually(async () => {
      const view = (await khabar.request('GET', `/api/sources/${source.id}`)).body as SourceView;
      return view.lastPoll;
    });
    assert.equal(polled.status, 'ok', JSON.stringify(polled));
    assert.equal(polled.added, 1);
    const posts = (await khabar.request('GET', '/api/posts?channel=bihar', { token: null }))
      .body as PostsAnswer;
    assert.deepEqual(
      posts.posts.map((p) => p.title),
      ['Found through the page'],
    );
  });

  it('registers a feed URL as it is, with no page', async () => {
    const feed = await started(startFeedServer([]));
    const created = await khabar.request('POST', '/api/sources', {
      body: JSON.stringify({ url: feed.url }),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const source = created.body as SourceView;
    assert.equal(source.url, feed.url);
    assert.equal('page' in source, false);
  });

  it('answers 422 no_feed_found for a page that names no feed, and stores nothing', async () => {
    const site = await started(
      serve(
        sendHtml(
          html(
            '<link rel="stylesheet" href="/s.css">' +
              '<link rel="alternate" hreflang="hi" href="/hi/">',
          ).replace('<h1>', '<link rel="alternate" type="application/rss+xml" href="/in-body">'),
        ),
      ),
    );
    const pageUrl = `${site.origin}/news`;
    const refused = await khabar.request('POST', '/api/sources', {
      body: JSON.stringify({ url: pageUrl }),
    });
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    const { error, message } = refused.body as ErrorAnswer;
    assert.equal(error, 'no_feed_found');
    assert.equal(
      message,
      `The page at ${pageUrl} names no RSS, Atom or JSON feed (no <link rel="alternate" type="application/rss+xml"> or similar in its <head>): give the feed's URL instead.`,
    );
    assert.deepEqual(await sources(), []);
  });

  it('answers 422 when the page cannot be read or is neither HTML nor a feed, never 5xx', async () => {
    const site = await started(
      serve((req, res) => {
        if (req.url === '/missing') res.writeHead(404).end('gone');
        else if (req.url === '/big') res.writeHead(200, { 'content-length': '99999999' }).end();
        else
          res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([0x89, 0x50, 1, 2]));
      }),
    );
    const cases: [string, string, RegExp][] = [
      [
        '/missing',
        'page_unreachable',
        /answered HTTP 404.*Check the address, or give the feed's URL\.$/,
      ],
      ['/big', 'page_unreachable', /larger than \d+ bytes/],
      ['/logo.png', 'no_feed_found', /neither a feed nor an HTML page \(image\/png\)/],
    ];
    for (const [path, code, text] of cases) {
      const refused = await khabar.request('POST', '/api/sources', {
        body: JSON.stringify({ url: `${site.origin}${path}` }),
      });
      assert.equal(refused.status, 422, `${path}: ${JSON.stringify(refused.body)}`);
      assert.equal((refused.body as ErrorAnswer).error, code, path);
      assert.match((refused.body as ErrorAnswer).message, text, path);
    }
    assert.deepEqual(await sources(), []);
  });

  it('answers 409 for a feed added through its page and again by its own URL, or twice by page', async () => {
    const feed = await started(startFeedServer([]));
    const site = await started(
      serve(
        sendHtml(
          html(
            `<link rel="alternate feed" type="application/atom+xml" href="${feed.url}">` +
              '<link rel="alternate" type="application/rss+xml" href="/second">',
          ),
        ),
      ),
    );
    const viaPage = await khabar.request('POST', '/api/sources', {
      body: JSON.stringify({ url: `${site.origin}/` }),
    });
    assert.equal(viaPage.status, 201, JSON.stringify(viaPage.body));
    const { id } = viaPage.body as SourceView;
    for (const url of [feed.url, `${site.origin}/other-page`]) {
      const again = await khabar.request('POST', '/api/sources', { body: JSON.stringify({ url }) });
      assert.equal(again.status, 409, url);
      assert.equal((again.body as ErrorAnswer).error, 'source_exists');
      assert.match((again.body as ErrorAnswer).message, new RegExp(id));
    }
    assert.deepEqual(
      (await sources()).map((s) => s.url),
      [feed.url],
    );
  });
});

describe('feed discovery: a public page naming a feed on a private address', function () {
  this.timeout(30_000);

  it('answers 400 blocked_address, stores nothing and never connects to the feed', async () => {
    // 127.0.0.2 plays the public internet (onlyFeedHost allows it alone); 127.0.0.1 a private
    // network, where a trap counts any connection.
    const trap = await serve((_req, res) => res.writeHead(500).end());
    const site = await serve(
      sendHtml(
        html(`<link rel="alternate" type="application/rss+xml" href="${trap.origin}/feed">`),
      ),
      FEED_HOST,
    );
    const untouchable = (what: string): never =>
      new Proxy(
        {},
        {
          get() {
            throw new Error(`the ${what} must not be used`);
          },
        },
      ) as never;
    const app = express();
    app.use(
      sourcesRouter({
        store: untouchable('store') satisfies SourceStore,
        queue: untouchable('queue') satisfies PollQueue,
        guard: [],
        readGuard: [],
        allowPrivateFeeds: false,
        fetchPolicy: onlyFeedHost,
        refuseHost: async (url) => {
          try {
            await checkUrlHost(url, onlyFeedHost);
            return null;
          } catch {
            return { privateHost: url.hostname };
          }
        },
      }),
    );
    app.use(((err, _req, res, _next) => {
      if (!(err instanceof AppError)) throw err;
      res.status(err.status).json(err.toJSON());
    }) satisfies express.ErrorRequestHandler);
    const khabar = createServer(app);
    await new Promise<void>((resolve) => khabar.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = khabar.address() as AddressInfo;
      const refused = await answer(
        await fetch(`http://127.0.0.1:${port}/api/sources`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ url: `${site.origin}/news` }),
        }),
      );
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal((refused.body as ErrorAnswer).error, 'blocked_address');
      assert.match(
        (refused.body as ErrorAnswer).message,
        /127\.0\.0\.1 is, or resolves to, a private/,
      );
      assert.deepEqual(site.requests, ['/news'], 'the page was read');
      assert.deepEqual(trap.requests, [], 'the private feed was never fetched');
    } finally {
      await new Promise((resolve) => khabar.close(resolve));
      await site.close();
      await trap.close();
    }
  });
});
