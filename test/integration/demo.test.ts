import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import express from 'express';
import type { DemoSampleAccepted, ErrorAnswer, PostsAnswer } from '../../shared/contract/http.js';
import { normalizeArticle } from '../../shared/domain/article/normalize.js';
import { SAMPLE_ARTICLES, sampleArticle } from '../../server/http/demo-samples.js';
import { copyPages, demoPageCsp, PUBLIC_DIR, staticRouter } from '../../server/http/static.js';
import {
  answer,
  eventually,
  startKhabar,
  type HttpAnswer,
  type TestKhabar,
} from '../helpers/khabar.js';

const PRODUCTION = { NODE_ENV: 'production', INGEST_TOKENS: 'a-production-token-123456' };

/** The demo page's policy: never framed; sockets to its own server only, not to any ws:/wss: host. */
function assertDemoPageCsp(page: HttpAnswer, url: string): void {
  const csp = page.headers.get('content-security-policy') ?? '';
  const host = new URL(url).host;
  assert.equal(csp, demoPageCsp(host));
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, new RegExp(`connect-src 'self' ws://${host} wss://${host};`));
  assert.doesNotMatch(csp, / wss?:[ ;]/);
}

function feedElements(html: string): string[] {
  return [...html.matchAll(/<khabar-feed\s[^>]*>/g)].map((m) => m[0]);
}

describe('demo page, widget and sample publisher', function () {
  describe('outside production', function () {
    let khabar: TestKhabar;
    before(async () => {
      khabar = await startKhabar();
    });
    after(async () => {
      await khabar.close();
    });

    it('serves the demo page under a strict CSP, with three live feeds and the publish button', async () => {
      const page = await khabar.request('GET', '/', { token: null });
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
      assertDemoPageCsp(page, khabar.url);
      const html = String(page.body);
      const feeds = feedElements(html);
      assert.equal(feeds.length, 3, html);
      assert.ok(feeds.some((f) => f.includes('channel="top"') && f.includes('locale="en"')));
      assert.ok(feeds.some((f) => f.includes('channel="bihar"') && f.includes('locale="hi"')));
      assert.ok(feeds.some((f) => f.includes('channel="delhi"') && f.includes('locale="hi"')));
      assert.match(html, /<script src="\/widget\.js"/);
      assert.match(html, /Publish a sample article/);
      // The CSP forbids inline script: every script tag has a src.
      for (const tag of html.match(/<script\b[^>]*>/g) ?? []) assert.match(tag, /\bsrc=/);

      const script = await khabar.request('GET', '/demo.js', { token: null });
      assert.equal(script.status, 200);
      assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
      assert.match(String(script.body), /\/api\/demo\/sample/);
    });

    it('serves the built widget to any origin, or says clearly that it is not built', async () => {
      const widget = await khabar.request('GET', '/widget.js', { token: null });
      if (existsSync(new URL('widget.js', PUBLIC_DIR))) {
        assert.equal(widget.status, 200);
        assert.equal(widget.headers.get('content-type'), 'text/javascript; charset=utf-8');
        assert.equal(widget.headers.get('access-control-allow-origin'), '*');
        assert.equal(widget.headers.get('cache-control'), 'public, max-age=300');
        assert.match(String(widget.body), /khabar-feed/);
      } else {
        // This build has no widget bundle (it is built by the widget's own build step).
        assert.equal(widget.status, 503);
        assert.equal((widget.body as ErrorAnswer).error, 'widget_not_built');
        assert.match((widget.body as ErrorAnswer).message, /npm run build/);
      }
    });

    it('publishes a sample article without a token, and at most one per second', async () => {
      const first = await khabar.request('POST', '/api/demo/sample', { token: null });
      assert.equal(first.status, 202, JSON.stringify(first.body));
      const [accepted] = (first.body as DemoSampleAccepted).accepted;
      assert.ok(accepted);
      assert.match(accepted.id, /^p[A-Za-z0-9_-]{22}$/);
      assert.ok(accepted.jobId);
      const channel = accepted.channels[0] ?? 'top';

      const second = await khabar.request('POST', '/api/demo/sample', { token: null });
      assert.equal(second.status, 429);
      assert.equal((second.body as ErrorAnswer).error, 'rate_limited');
      assert.ok(Number(second.headers.get('retry-after')) >= 1);

      const post = await eventually(async () => {
        const posts = await khabar.request('GET', `/api/posts?channel=${channel}`, {
          token: null,
        });
        return (posts.body as PostsAnswer).posts.find((p) => p.id === accepted.id);
      });
      assert.equal(post.title, accepted.title);
      assert.ok(
        khabar.logs.some((l) => l.event === 'job.added' && l.source === 'demo'),
        'the publish is logged like an API ingest',
      );
    });
  });

  describe('in production', function () {
    let khabar: TestKhabar;
    before(async () => {
      khabar = await startKhabar({ env: PRODUCTION });
    });
    after(async () => {
      await khabar.close();
    });

    it('has no sample route and no publish button', async () => {
      const publish = await khabar.request('POST', '/api/demo/sample', { token: null });
      assert.equal(publish.status, 404);
      const page = await khabar.request('GET', '/', { token: null });
      assert.equal(page.status, 200);
      assertDemoPageCsp(page, khabar.url);
      const html = String(page.body);
      assert.equal(feedElements(html).length, 3);
      assert.doesNotMatch(html, /publish-sample|Publish a sample article/);
    });
  });

  describe('the static files', function () {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'khabar-public-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('copyPages copies the pages, their script and styles, and the router serves what is there', async () => {
      const publicDir = pathToFileURL(`${dir}/`);
      await copyPages(publicDir);
      const html = await readFile(join(dir, 'index.html'), 'utf8');
      assert.equal(feedElements(html).length, 3);
      assert.match(await readFile(join(dir, 'demo.js'), 'utf8'), /\/api\/demo\/sample/);
      assert.match(await readFile(join(dir, 'page.css'), 'utf8'), /\.skip:focus/);

      // A stand-in file in a temporary directory, to check the router's headers; the real
      // bundle in dist/public is checked above.
      await writeFile(join(dir, 'widget.js'), '/* stand-in */');
      const app = express().use(staticRouter({ publicDir, production: false }));
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const widget = await answer(await fetch(`http://127.0.0.1:${port}/widget.js`));
        assert.equal(widget.status, 200);
        assert.equal(widget.headers.get('access-control-allow-origin'), '*');
        assert.equal(widget.headers.get('content-type'), 'text/javascript; charset=utf-8');
        assert.equal(widget.body, '/* stand-in */');
        const styles = await answer(await fetch(`http://127.0.0.1:${port}/page.css`));
        assert.equal(styles.status, 200);
        assert.equal(styles.headers.get('content-type'), 'text/css; charset=utf-8');
        assert.equal(styles.headers.get('x-content-type-options'), 'nosniff');
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  describe('the sample articles', function () {
    it('are valid, in English and Hindi, and a later round updates each story instead of adding a copy', () => {
      assert.ok(SAMPLE_ARTICLES.length >= 10);
      assert.deepEqual(new Set(SAMPLE_ARTICLES.map((a) => a.lang)), new Set(['en', 'hi']));
      const count = SAMPLE_ARTICLES.length;
      const published = Array.from({ length: count * 5 }, (_, i) => {
        const result = normalizeArticle(sampleArticle(i), Date.now());
        assert.ok(result.ok, JSON.stringify(result));
        return result.article;
      });
      // Five rounds of publishing make exactly one post per story.
      assert.equal(new Set(published.map((a) => a.id)).size, count);
      for (let i = count; i < published.length; i++) {
        const [now, before] = [published[i], published[i - count]];
        assert.equal(now?.id, before?.id);
        assert.equal(now?.title, before?.title);
        assert.notEqual(now?.summary, before?.summary, `publish ${i} changes the story`);
      }
    });
  });
});
