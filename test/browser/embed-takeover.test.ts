import assert from 'node:assert/strict';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import type { PostsAnswer } from '../../shared/contract/http.js';
import { eventually, startKhabar, type TestKhabar } from '../helpers/khabar.js';
import { launchBrowser, serveHostPage } from '../helpers/browser.js';

/**
 * README "Without JavaScript": a page that holds the `/embed` fragment inside `<khabar-feed>`,
 * read without JavaScript (a crawler) and with it (the widget takes the list over).
 */

// Ingest strips tags and then decodes entities: these arrive in the post as markup-like text.
const XSS_TITLE = 'Quote: <img src=x onerror="window.pwned=1"> end';
const XSS_SUMMARY = '<script>window.pwned=1</script>Rivers rise';
const escaped = (text: string): string => text.replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const TITLES = [XSS_TITLE, 'Second story', 'Third story'];

/** README's markup, with the fragment pasted in as a server-side include would. */
function hostPage(khabarUrl: string, fragment: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head>
<body><aside><h2>Recent Posts</h2>
<khabar-feed channel="top" limit="5" server="${khabarUrl}">
${fragment}</khabar-feed>
<script async src="${khabarUrl}/widget.js"></script>
</aside></body></html>`;
}

interface Frame {
  /** The headlines a reader can see in this frame, light DOM and the widget's shadow root. */
  titles: string[];
  state: string | undefined;
}

/**
 * Records, from the page's first frame, which headlines are visible: a frame with none (a flash
 * of "loading") or with one twice would show in the record.
 */
function recordFrames(): void {
  const frames: Frame[] = [];
  (window as unknown as { frames_: Frame[] }).frames_ = frames;
  const visibleText = (nodes: ArrayLike<Element>, pick: (node: Element) => string): string[] =>
    Array.from(nodes)
      .filter((node) => node.checkVisibility())
      .map(pick);
  const record = (): void => {
    const feed = document.querySelector('khabar-feed');
    if (feed) {
      const light = visibleText(
        feed.querySelectorAll('li'),
        (li) => (li.querySelector('a') ?? li.firstChild)?.textContent ?? '',
      );
      const shadow = visibleText(
        feed.shadowRoot?.querySelectorAll('article [part~="title"]') ?? ([] as Element[]),
        (title) => title.textContent,
      );
      frames.push({
        titles: [...light, ...shadow],
        state: feed instanceof HTMLElement ? feed.dataset.state : undefined,
      });
    }
    requestAnimationFrame(record);
  };
  requestAnimationFrame(record);
}

describe('a server-rendered list inside <khabar-feed> in Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let khabar: TestKhabar;
  let host: { url: string; close: () => Promise<void> };

  before(async () => {
    browser = await launchBrowser();
    khabar = await startKhabar();
    // Oldest first, so the list reads TITLES newest first.
    for (const [n, title] of [...TITLES].reverse().entries()) {
      const answer = await khabar.postArticles({
        url: `https://example.com/takeover/${n}`,
        title: escaped(title),
        summary: n === 2 ? escaped(XSS_SUMMARY) : undefined,
        channel: 'top',
        publishedAt: new Date(Date.now() - (10 - n) * 60_000).toISOString(),
      });
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
    }
    await eventually(async () => {
      const { body } = await khabar.request('GET', '/api/posts?channel=top');
      return (body as PostsAnswer).posts.length === TITLES.length ? true : undefined;
    });
    const fragment = await fetch(`${khabar.url}/embed/top?limit=5`);
    host = await serveHostPage(hostPage(khabar.url, await fragment.text()));
  });
  after(async () => {
    await host.close();
    await khabar.close();
    // Undefined when Chromium could not be launched: the before hook has said why.
    await (browser as Browser | undefined)?.close();
  });

  async function open(options: BrowserContextOptions): Promise<Page> {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    page.on('close', () => void context.close());
    return page;
  }

  it('without JavaScript shows the fragment: every headline once, hostile text as text', async () => {
    const page = await open({ javaScriptEnabled: false });
    try {
      await page.goto(host.url);
      const items = page.locator('khabar-feed li');
      assert.deepEqual(await items.locator('a').allTextContents(), TITLES);
      for (const item of await items.all()) assert.ok(await item.isVisible());
      assert.equal(await page.locator('khabar-feed li time[datetime]').count(), TITLES.length);
      assert.match((await items.first().textContent()) ?? '', /8 mins ago$/);
      // The markup in the title and summary is text: no element came of it.
      assert.equal(await page.locator('img, khabar-feed script').count(), 0);
      assert.equal(await page.locator('khabar-feed p').first().textContent(), XSS_SUMMARY);
    } finally {
      await page.close();
    }
  });

  it('with JavaScript the widget takes it over without a flash or a duplicate, and goes live', async () => {
    const page = await open({});
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    const subscribes: string[] = [];
    page.on('websocket', (socket) => {
      socket.on('framesent', ({ payload }) => {
        if (typeof payload === 'string' && payload.includes('"subscribe"'))
          subscribes.push(payload);
      });
    });
    try {
      await page.addInitScript(recordFrames);
      await page.goto(host.url);
      await page.locator('khabar-feed[data-state="ready"]').waitFor({ timeout: 10_000 });
      const shadowTitles = page.locator('khabar-feed article [part~="title"]');
      assert.deepEqual(await shadowTitles.allTextContents(), TITLES);
      // The fragment is still in the page (crawlers read it) but no longer shown.
      assert.equal(await page.locator('khabar-feed li').count(), TITLES.length);
      for (const item of await page.locator('khabar-feed li').all())
        assert.equal(await item.isVisible(), false);

      const frames = await page.evaluate(() => (window as unknown as { frames_: Frame[] }).frames_);
      const shown = frames.filter((frame) => frame.titles.length > 0);
      assert.ok(shown.length > 0, 'no frame showed the list');
      // From the first frame that showed the list, every frame showed each headline exactly once.
      const firstShown = frames.indexOf(shown[0] as Frame);
      for (const [n, frame] of frames.slice(firstShown).entries())
        assert.deepEqual(frame.titles, TITLES, `frame ${firstShown + n} (${frame.state})`);

      // It resumed from the fragment's cursor rather than asking for the list again.
      const cursor = await page.locator('khabar-feed ol').getAttribute('data-cursor');
      assert.ok(cursor);
      assert.ok(
        subscribes.some((frame) => frame.includes(`"since":"${cursor}"`)),
        subscribes.join('\n'),
      );

      const answer = await khabar.postArticles({
        url: 'https://example.com/takeover/live',
        title: 'Live story',
        channel: 'top',
      });
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      await eventually(async () =>
        (await shadowTitles.first().textContent()) === 'Live story' ? true : undefined,
      );
      assert.deepEqual(await shadowTitles.allTextContents(), ['Live story', ...TITLES]);
      assert.equal(await page.evaluate(() => 'pwned' in window), false);
      assert.deepEqual(errors, [], 'the page threw');
    } finally {
      await page.close();
    }
  });
});
