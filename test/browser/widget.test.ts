import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { eventually, startKhabar, type TestKhabar } from '../helpers/khabar.js';
import { launchBrowser, serveHostPage } from '../helpers/browser.js';

const MINUTE = 60_000;
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

function hostPage(khabarUrl: string, channel: string, locale: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title>
<style>body { font-family: Georgia, serif; color: rgb(10, 20, 30); } a { color: rgb(200, 0, 0); } article { border: 5px solid red; }</style></head>
<body><main><h1>India News</h1><p id="host-text">A host paragraph with a <a id="host-link" href="#">host link</a>.</p>
<aside><h2>Recent Posts</h2>
<script async src="${khabarUrl}/widget.js" data-channel="${channel}" data-locale="${locale}" data-limit="5"></script>
</aside></main></body></html>`;
}

async function titles(page: Page): Promise<string[]> {
  return page.locator('khabar-feed article [part~="title"]').allTextContents();
}

describe('the embeddable widget in Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let khabar: TestKhabar;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser.close();
  });
  beforeEach(async () => {
    khabar = await startKhabar();
  });
  afterEach(async () => {
    await khabar.close();
  });

  async function publish(article: Record<string, unknown>): Promise<void> {
    const answer = await khabar.postArticles(article);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
  }

  /** Opens a host page embedding the widget, runs `check`, fails on any page error, closes both. */
  async function withWidget(
    channel: string,
    locale: string,
    check: (page: Page) => Promise<void>,
  ): Promise<void> {
    const host = await serveHostPage(hostPage(khabar.url, channel, locale));
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    try {
      await page.goto(host.url);
      await page.locator('khabar-feed[data-state="ready"]').waitFor({ timeout: 10_000 });
      await check(page);
      assert.deepEqual(errors, [], 'the page threw');
    } finally {
      await page.close();
      await host.close();
    }
  }

  it('embeds on another origin and renders the channel newest first with Hindi labels', async () => {
    const now = Date.now();
    await publish({
      url: 'https://example.com/b/1',
      title: 'गैंगस्टर नीरज बवाना का करीबी अमरजीत गिरफ्तार',
      channel: 'bihar',
      publishedAt: new Date(now - 60 * MINUTE).toISOString(),
    });
    await publish({
      url: 'https://example.com/b/2',
      title: 'CM नीतीश पर सुधाकर सिंह का बड़ा हमला',
      channel: 'bihar',
      publishedAt: new Date(now - 21 * MINUTE).toISOString(),
    });
    await eventually(async () =>
      ((await khabar.request('GET', '/api/posts?channel=bihar')).body as { posts: unknown[] }).posts
        .length === 2
        ? true
        : undefined,
    );

    await withWidget('bihar', 'hi', async (page) => {
      assert.deepEqual(await titles(page), [
        'CM नीतीश पर सुधाकर सिंह का बड़ा हमला',
        'गैंगस्टर नीरज बवाना का करीबी अमरजीत गिरफ्तार',
      ]);
      const labels = await page.locator('khabar-feed article time').allTextContents();
      assert.deepEqual(labels, ['21 मिनट पहले', '1 घंटे पहले']);
      assert.ok((await page.locator('khabar-feed article time[datetime]').count()) === 2);
    });
  });

  it('shows a new post within seconds, without a reload', async () => {
    await withWidget('top', 'en', async (page) => {
      await publish({ url: 'https://example.com/live', title: 'Live from the newsroom' });
      await page
        .locator('khabar-feed article', { hasText: 'Live from the newsroom' })
        .waitFor({ timeout: 5000 });
      assert.equal(
        await page.locator('khabar-feed article time').first().textContent(),
        'just now',
      );
    });
  });

  it('shows an article titled with HTML as text, and nothing in it runs', async () => {
    await withWidget('top', 'en', async (page) => {
      await publish({
        url: 'https://example.com/xss',
        title: 'Quote: &lt;img src=x onerror="window.__xss=1"&gt; end',
      });
      await page.locator('khabar-feed article', { hasText: 'onerror' }).waitFor({ timeout: 5000 });
      assert.equal(
        await page.evaluate(() => (window as unknown as { __xss?: number }).__xss),
        undefined,
      );
      assert.equal(await page.locator('khabar-feed article img').count(), 0);
      assert.equal(
        await titles(page).then((t) => t[0]),
        'Quote: <img src=x onerror="window.__xss=1"> end',
      );
    });
  });

  it("leaves the host page's styles alone, and keeps its own out of reach of the host", async () => {
    await withWidget('top', 'en', async (page) => {
      await publish({ url: 'https://example.com/style', title: 'Styled' });
      await page.locator('khabar-feed article').first().waitFor({ timeout: 5000 });
      const hostStyles = await page.evaluate(() => {
        const text = getComputedStyle(document.getElementById('host-text')!);
        const link = getComputedStyle(document.getElementById('host-link')!);
        return [text.fontFamily, text.color, link.color];
      });
      assert.deepEqual(hostStyles, ['Georgia, serif', 'rgb(10, 20, 30)', 'rgb(200, 0, 0)']);
      const widgetBorder = await page
        .locator('khabar-feed article')
        .first()
        .evaluate((el) => getComputedStyle(el).borderTopWidth);
      assert.notEqual(widgetBorder, '5px', "the host's article rule reached inside the widget");
    });
  });

  it('has no serious accessibility violations (axe-core)', async () => {
    await withWidget('top', 'en', async (page) => {
      await publish({
        url: 'https://example.com/a11y',
        title: 'Accessible',
        summary: 'A short excerpt for the list.',
      });
      await page.locator('khabar-feed article').first().waitFor({ timeout: 5000 });
      // Scan the settled widget: mid slide-in, text is partly transparent and fails contrast.
      await page.evaluate(async () => {
        const root = document.querySelector('khabar-feed')?.shadowRoot;
        await Promise.all((root?.getAnimations() ?? []).map((animation) => animation.finished));
      });
      await page.addScriptTag({ path: axePath });
      const violations = await page.evaluate(async () => {
        const axe = (
          window as unknown as {
            axe: {
              run: (
                context: unknown,
              ) => Promise<{ violations: { id: string; impact: string | null }[] }>;
            };
          }
        ).axe;
        const result = await axe.run({ include: [['khabar-feed']] });
        return result.violations.map((v) => `${v.id}:${v.impact ?? ''}`);
      });
      const serious = violations.filter((v) => /^[\w-]+:(serious|critical) /.test(v));
      assert.deepEqual(serious, [], violations.join(', '));
    });
  });
});
