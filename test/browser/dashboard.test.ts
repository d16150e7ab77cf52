import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Job } from 'bullmq';
import type { Browser, Page } from 'playwright-core';
import { normalizeArticle, type NormalizedArticle } from '../../shared/domain/article/normalize.js';
import {
  createIngestQueue,
  type IngestQueue,
  type IngestQueueData,
} from '../../shared/domain/ingest-queue.js';
import type {
  DemoSampleAccepted,
  FailedJobsAnswer,
  PostsAnswer,
  SourceView,
} from '../../shared/contract/http.js';
import { recordQueueStats } from '../../shared/domain/queue-history.js';
import { createLogger } from '../../shared/infra/logger.js';
import { createServerNode } from '../../server/node.js';
import { eventually, startKhabar, subscribe, type TestKhabar } from '../helpers/khabar.js';
import { launchBrowser, serveHostPage } from '../helpers/browser.js';
import { startFeedServer, startFeedThen } from '../helpers/feed-server.js';

const NEWSROOM_TOKEN = 'test-newsroom-token-0123456789';
const TOKEN_KEY = 'khabar:newsroom-token';
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** An article the API would never accept: the worker fails its job for good (UnrecoverableError). */
function invalidArticle(title: string): NormalizedArticle {
  return {
    id: `p${'A'.repeat(22)}`,
    url: 'https://example.com/broken',
    title,
    channels: ['Not A Channel!'],
  };
}

function widgetHostPage(khabarUrl: string, channel: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head>
<body><main><h1>A publisher</h1>
<script async src="${khabarUrl}/widget.js" data-channel="${channel}" data-locale="en" data-limit="5"></script>
</main></body></html>`;
}

describe('the newsroom dashboard in Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let khabar: TestKhabar;
  let queue: IngestQueue | undefined;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    // Undefined when Chromium could not be launched: the before hook has said why.
    await (browser as Browser | undefined)?.close();
  });
  beforeEach(async () => {
    khabar = await startKhabar({
      env: { NEWSROOM_TOKENS: NEWSROOM_TOKEN, ALLOW_PRIVATE_FEEDS: 'true' },
      // Presence and queue figures every half second instead of 5 s: a test waits less for them.
      timings: { presenceIntervalMs: 500, newsroomIntervalMs: 500 },
    });
  });
  afterEach(async () => {
    await queue?.close();
    queue = undefined;
    await khabar.close();
  });

  async function publish(article: Record<string, unknown>): Promise<void> {
    const answer = await khabar.postArticles(article);
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
  }

  /** Queues a job straight into the ingest queue (as the API would, minus its checks). */
  async function addJob(article: NormalizedArticle): Promise<string> {
    queue ??= createIngestQueue(khabar.redis, khabar.keys);
    const job = await queue.add('article', { article, acceptedAt: Date.now(), source: 'api' });
    assert.ok(job.id);
    return job.id;
  }

  async function signIn(page: Page, token = NEWSROOM_TOKEN): Promise<void> {
    await page.getByLabel('Newsroom token').fill(token);
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
  }

  async function waitUntilLive(page: Page): Promise<void> {
    await page.locator('#connection[data-state="connected"]').waitFor({ timeout: 10_000 });
    await page
      .locator('#stream[aria-busy="false"]')
      .waitFor({ state: 'attached', timeout: 10_000 });
  }

  interface DashboardOptions {
    viewport?: { width: number; height: number };
    /** Runs before the page loads (a controlled clock). */
    setup?: (page: Page) => Promise<void>;
    /** Sign in with the right token and wait for the first snapshot (default true). */
    signedIn?: boolean;
  }

  /**
   * Opens /dashboard, runs `check`, and fails on any page error or Content-Security-Policy
   * violation; closes the page.
   */
  async function withDashboard(
    check: (page: Page) => Promise<void>,
    options: DashboardOptions = {},
  ): Promise<void> {
    const page = await browser.newPage(options.viewport ? { viewport: options.viewport } : {});
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) errors.push(message.text());
    });
    try {
      await options.setup?.(page);
      await page.goto(`${khabar.url}/dashboard`);
      if (options.signedIn !== false) {
        await signIn(page);
        await waitUntilLive(page);
      }
      await check(page);
      assert.deepEqual(errors, [], 'the page threw or broke its CSP');
    } finally {
      await page.close();
    }
  }

  const streamItem = (page: Page, text: string) =>
    page.locator('#stream article', { hasText: text });

  it('shows the token form again with the error for a wrong token, and the dashboard for the right one', async () => {
    const response = await khabar.request('GET', '/dashboard', { token: null });
    assert.equal(response.status, 200);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, /frame-ancestors 'none'/);
    // Sockets to its own server only (the sign-in below proves the socket still connects).
    const host = new URL(khabar.url).host;
    assert.match(csp, new RegExp(`connect-src 'self' ws://${host} wss://${host};`));
    assert.doesNotMatch(csp, / wss?:[ ;]/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    for (const tag of String(response.body).match(/<script\b[^>]*>/g) ?? [])
      assert.match(tag, /\bsrc=/);

    await withDashboard(
      async (page) => {
        await signIn(page, 'not-the-newsroom-token-at-all');
        const error = page.locator('#token-error');
        await error.waitFor({ state: 'visible', timeout: 10_000 });
        assert.match((await error.textContent()) ?? '', /not accepted/);
        assert.equal(await page.locator('#dashboard').isVisible(), false);
        assert.equal(await page.getByLabel('Newsroom token').isVisible(), true);
        assert.equal(
          await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY),
          null,
          'a refused token was kept',
        );

        await signIn(page);
        await waitUntilLive(page);
        assert.equal(await page.locator('#dashboard').isVisible(), true);
        assert.equal(await page.locator('#sign-in').isVisible(), false);
        assert.equal(await error.isVisible(), false);
        assert.equal(
          await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY),
          NEWSROOM_TOKEN,
        );

        // The tab remembers the token: a reload goes straight to the dashboard.
        await page.reload();
        await waitUntilLive(page);
        assert.equal(await page.locator('#sign-in').isVisible(), false);

        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.getByLabel('Newsroom token').waitFor({ state: 'visible' });
        assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY), null);
      },
      { signedIn: false },
    );
  });

  it('says in the status line that a refused token was refused, and why, instead of "Checking the token…"', async () => {
    await withDashboard(
      async (page) => {
        await signIn(page, 'not-the-newsroom-token-at-all');
        await page.locator('#token-error').waitFor({ state: 'visible', timeout: 10_000 });
        const status = page.locator('#status');
        await status.filter({ hasText: 'Not signed in' }).waitFor({ timeout: 5000 });
        const text = (await status.textContent()) ?? '';
        assert.match(text, /not accepted/);
        assert.doesNotMatch(text, /Checking/);
      },
      { signedIn: false },
    );
  });

  it('shows a post published through the API live, with its label, which stays true as time passes', async () => {
    await withDashboard(
      async (page) => {
        // Half a minute old: "just now" until the clock is moved on past the minute.
        await publish({
          url: 'https://example.com/live',
          title: 'Live into the newsroom',
          channels: ['top', 'bihar'],
          publishedAt: new Date(Date.now() - 30_000).toISOString(),
        });
        const item = streamItem(page, 'Live into the newsroom');
        await item.waitFor({ timeout: 5000 });
        assert.equal(await item.locator('time').textContent(), 'just now');
        assert.deepEqual(await item.locator('.chip').allTextContents(), ['top', 'bihar']);
        assert.equal(
          await item.locator('a').getAttribute('href'),
          'https://example.com/live',
          'the title links to the article',
        );
        assert.equal(await item.locator('a').getAttribute('rel'), 'noopener noreferrer');
        // One post in two channels is one row.
        assert.equal(await page.locator('#stream article').count(), 1);
        await page
          .locator('#activity li', { hasText: 'Accepted “Live into the newsroom” from api' })
          .waitFor();

        await page.clock.fastForward(31_000);
        await page.waitForFunction(
          () => document.querySelector('#stream article time')?.textContent === '1 min ago',
        );
      },
      { setup: (page) => page.clock.install() },
    );
  });

  it('lists accepted articles by title in the ingest activity, those of the demo publisher too', async () => {
    await withDashboard(async (page) => {
      await publish({ url: 'https://example.com/activity', title: 'An editor knows this title' });
      const demo = await khabar.request('POST', '/api/demo/sample', { token: null });
      assert.equal(demo.status, 202, JSON.stringify(demo.body));
      const [sample] = (demo.body as DemoSampleAccepted).accepted;
      assert.ok(sample);

      const fromApi = page.locator('#activity li[data-kind="accepted"]', {
        hasText: '“An editor knows this title” from api',
      });
      await fromApi.waitFor({ timeout: 5000 });
      const fromDemo = page.locator('#activity li[data-kind="accepted"]', {
        hasText: `“${sample.title}” from demo`,
      });
      await fromDemo.waitFor({ timeout: 5000 });
      assert.doesNotMatch((await fromDemo.textContent()) ?? '', new RegExp(sample.id));
    });
  });

  it('retracts a post from the dashboard, and a widget on another page drops it', async () => {
    await publish({ url: 'https://example.com/keep', title: 'Stays published' });
    await publish({ url: 'https://example.com/retract', title: 'Published by mistake' });
    await eventually(async () =>
      ((await khabar.request('GET', '/api/posts')).body as PostsAnswer).posts.length === 2
        ? true
        : undefined,
    );
    const host = await serveHostPage(widgetHostPage(khabar.url, 'top'));
    const reader = await browser.newPage();
    try {
      await reader.goto(host.url);
      await reader.locator('khabar-feed[data-state="ready"]').waitFor({ timeout: 10_000 });
      const widgetItem = reader.locator('khabar-feed article', { hasText: 'Published by mistake' });
      await widgetItem.waitFor({ timeout: 5000 });

      await withDashboard(async (page) => {
        const item = streamItem(page, 'Published by mistake');
        await item.waitFor({ timeout: 5000 });
        await item.getByRole('button', { name: 'Retract “Published by mistake”' }).click();
        const dialog = page.getByRole('dialog', { name: 'Retract this post?' });
        await dialog.waitFor();
        // Cancelling keeps the post.
        await dialog.getByRole('button', { name: 'Cancel' }).click();
        await dialog.waitFor({ state: 'hidden' });
        assert.equal(await item.count(), 1);

        await item.getByRole('button', { name: 'Retract “Published by mistake”' }).click();
        await dialog.getByRole('button', { name: 'Retract' }).click();
        await item.waitFor({ state: 'detached', timeout: 5000 });
        await page.locator('#status', { hasText: 'Retracted “Published by mistake”' }).waitFor();
        assert.equal(await streamItem(page, 'Stays published').count(), 1);
      });

      await widgetItem.waitFor({ state: 'detached', timeout: 5000 });
      assert.deepEqual(
        await reader.locator('khabar-feed article [part~="title"]').allTextContents(),
        ['Stays published'],
      );
    } finally {
      await reader.close();
      await host.close();
    }
  });

  it('lists a job that failed for good with its error; retry runs it again and drop deletes it', async () => {
    await withDashboard(async (page) => {
      // Retry: the job's data is put right before the retry, so the second run succeeds.
      const fixable = await addJob(invalidArticle('Fixable article'));
      const row = page.locator(`#failures li[data-job-id="${fixable}"]`);
      await row.waitFor({ timeout: 10_000 });
      assert.match((await row.locator('.job-error').textContent()) ?? '', /invalid article/);
      const fixed = normalizeArticle(
        { url: 'https://example.com/fixed', title: 'Fixed, then retried' },
        Date.now(),
      );
      assert.ok(fixed.ok);
      // getJob's JobBase intersects the data union; the job is one of ours.
      const job = (await queue!.getJob(fixable)) as Job<IngestQueueData> | undefined;
      const repaired: IngestQueueData = {
        article: fixed.article,
        acceptedAt: Date.now(),
        source: 'api',
      };
      await job!.updateData(repaired);
      await row.getByRole('button', { name: /^Retry job/ }).click();
      await page.locator('#status', { hasText: `Job ${fixable} is queued again` }).waitFor();
      await streamItem(page, 'Fixed, then retried').waitFor({ timeout: 10_000 });
      await row.waitFor({ state: 'detached' });

      // Drop: asks first, then the job is gone from the queue.
      const hopeless = await addJob(invalidArticle('Hopeless article'));
      const hopelessRow = page.locator(`#failures li[data-job-id="${hopeless}"]`);
      await hopelessRow.waitFor({ timeout: 10_000 });
      await hopelessRow.getByRole('button', { name: /^Drop job/ }).click();
      await page
        .getByRole('dialog', { name: 'Drop this job?' })
        .getByRole('button', { name: 'Drop' })
        .click();
      await hopelessRow.waitFor({ state: 'detached', timeout: 5000 });
      await page.locator('#status', { hasText: `Job ${hopeless} was dropped` }).waitFor();
      assert.equal(await queue!.getJob(hopeless), undefined);
      const listed = await khabar.request('GET', '/api/jobs?state=failed', {
        token: NEWSROOM_TOKEN,
      });
      assert.equal(listed.status, 200);
      assert.deepEqual(
        (listed.body as FailedJobsAnswer).jobs.map((j) => j.id),
        [],
        'a dropped or retried job is still listed as failed',
      );
    });
  });

  it('shows titles and errors written as HTML as text, and nothing in them runs', async () => {
    await withDashboard(async (page) => {
      await publish({
        url: 'https://example.com/xss',
        title: 'Quote: &lt;img src=x onerror="window.__xss=1"&gt; end',
      });
      const item = streamItem(page, 'onerror');
      await item.waitFor({ timeout: 5000 });
      assert.equal(
        await item.locator('.title').textContent(),
        'Quote: <img src=x onerror="window.__xss=1"> end',
      );
      // A failed job keeps the raw title it was queued with.
      const id = await addJob(invalidArticle('<img src=x onerror="window.__xss=2"><b>bold</b>'));
      const row = page.locator(`#failures li[data-job-id="${id}"]`);
      await row.waitFor({ timeout: 10_000 });
      await row.locator('h3', { hasText: '<b>bold</b>' }).waitFor({ timeout: 5000 });

      assert.equal(await page.locator('#dashboard img, #dashboard b').count(), 0);
      assert.equal(
        await page.evaluate(() => (window as unknown as { __xss?: number }).__xss),
        undefined,
      );
    });
  });

  it('fits a 320 px screen without sideways scrolling, and axe finds nothing serious', async () => {
    await publish({
      url: 'https://example.com/narrow',
      title:
        'इस राज्य में गिरने वाली है बीजेपी सरकार! सहयोगी पार्टी ने समर्थन लिया वापस, अब क्या करेंगे PM Modi और अमित शाह?',
      channels: ['bihar', 'a-long-channel-name-for-a-narrow-screen'],
    });
    await addJob(invalidArticle('https://example.com/' + 'a-very-long-path-'.repeat(8)));
    // A feed when added (a URL that cannot be read is refused then), gone for every poll after.
    const feed = await startFeedServer([]);
    const created = await khabar.request('POST', '/api/sources', {
      body: JSON.stringify({
        url: new URL('/a/feed/that/refuses/every/connection/later.xml', feed.url).href,
        intervalSeconds: 30,
      }),
    });
    await feed.close();
    assert.equal(created.status, 201, JSON.stringify(created.body));

    async function seriousViolations(page: Page): Promise<string[]> {
      // Evaluated through the debugger protocol: the page's CSP (rightly) refuses a script tag.
      await page.evaluate(await readFile(axePath, 'utf8'));
      const violations = await page.evaluate(async () => {
        const axe = (
          window as unknown as {
            axe: {
              run: () => Promise<{
                violations: { id: string; impact: string | null; nodes: unknown[] }[];
              }>;
            };
          }
        ).axe;
        const result = await axe.run();
        return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? '' }));
      });
      return violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}:${v.impact}`);
    }

    // The sign-in form first.
    await withDashboard(
      async (page) => {
        assert.deepEqual(await seriousViolations(page), []);
      },
      { signedIn: false },
    );

    await withDashboard(
      async (page) => {
        await page.locator('#stream article').first().waitFor({ timeout: 5000 });
        await page.locator('#failures li').first().waitFor({ timeout: 10_000 });
        await page.locator('#sources li').first().waitFor({ timeout: 10_000 });
        await page.locator('[data-queue="ingest"]').waitFor({ timeout: 15_000 });
        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        assert.equal(overflow, 0, 'the page scrolls sideways at 320 px');
        assert.deepEqual(await seriousViolations(page), []);
      },
      { viewport: { width: 320, height: 640 } },
    );
  });

  it('shows queue figures and viewers per channel as the server pushes them', async () => {
    const reader = await khabar.connect();
    const subscribed = await subscribe(reader, { channel: 'top' });
    assert.ok(subscribed.ok);
    await withDashboard(async (page) => {
      for (const name of ['ingest', 'poll']) {
        const waiting = page.locator(`[data-queue="${name}"] [data-stat="waiting"]`);
        await waiting.waitFor({ timeout: 15_000 });
        assert.match((await waiting.textContent()) ?? '', /^\d+$/);
        assert.match(
          (await page
            .locator(`[data-queue="${name}"] [data-stat="oldestWaitingMs"]`)
            .textContent()) ?? '',
          /^\d+ (s|min \d+ s|h \d+ min)$/,
        );
        const line = page.locator(`[data-queue="${name}"] svg polyline.waiting`);
        assert.notEqual((await line.getAttribute('points')) ?? '', '', 'the chart has no line');
        assert.match(
          (await page.locator(`[data-queue="${name}"] svg`).getAttribute('aria-label')) ?? '',
          new RegExp(`^${name} queue`),
        );
      }
      const viewers = page.locator('#viewers [data-channel="top"] dd');
      await page.waitForFunction(
        () =>
          /^[1-9]\d* viewers?$/.test(
            document.querySelector('#viewers [data-channel="top"] dd')?.textContent ?? '',
          ),
        undefined,
        { timeout: 15_000 },
      );
      assert.match((await viewers.textContent()) ?? '', /^[1-9]\d* viewers?$/);
    });
  });

  it('draws the queue charts from the last five minutes as soon as it opens', async () => {
    // What the workers and earlier dashboards recorded before this one opened.
    const now = Date.now();
    for (const [agoMs, waiting] of [
      [4 * 60_000, 7],
      [3 * 60_000, 3],
      [2 * 60_000, 5],
    ] as const) {
      await recordQueueStats(
        khabar.redis,
        khabar.keys,
        ['ingest', 'poll'].map((queue) => ({
          queue,
          waiting,
          active: 0,
          delayed: 0,
          failed: 0,
          completedPerMinute: 2,
          oldestWaitingMs: 0,
        })),
        now - agoMs,
      );
    }
    await withDashboard(async (page) => {
      for (const name of ['ingest', 'poll']) {
        const chart = page.locator(`[data-queue="${name}"] svg`);
        await chart.waitFor({ timeout: 10_000 });
        await page.waitForFunction(
          (queue) =>
            /waiting from \d+ to 7,/.test(
              document.querySelector(`[data-queue="${queue}"] svg`)?.getAttribute('aria-label') ??
                '',
            ),
          name,
          { timeout: 10_000 },
        );
        const points = ((await chart.locator('polyline.waiting').getAttribute('points')) ?? '')
          .split(' ')
          .map((point) => Number(point.split(',')[0]));
        assert.ok(points.length >= 3, `only ${points.length} points`);
        // Time runs along the x axis (0–100 for five minutes): four minutes ago is near 20.
        assert.ok(
          points[0]! > 10 && points[0]! < 30,
          `the oldest point is at x=${points[0]}, not four minutes back`,
        );
      }
    });
  });

  it('shows a feed source and the error of its last poll, updated live', async () => {
    // A feed when added (a URL that cannot be read is refused then), an HTTP 500 on every poll.
    const { url, close } = await startFeedThen((res) => res.writeHead(500).end());
    try {
      await withDashboard(async (page) => {
        const created = await khabar.request('POST', '/api/sources', {
          body: JSON.stringify({ url, channels: ['bihar'], intervalSeconds: 30 }),
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const { id } = created.body as SourceView;
        const row = page.locator(`#sources li[data-source-id="${id}"]`);
        await row.locator('.badge[data-status="error"]').waitFor({ timeout: 15_000 });
        assert.notEqual(((await row.locator('.source-error').textContent()) ?? '').trim(), '');
        assert.equal(await row.locator('a').getAttribute('href'), url);
        assert.deepEqual(await row.locator('.chip').allTextContents(), ['bihar']);
      });
    } finally {
      await close();
    }
  });
  it("shows whether a source's WebSub hub pushes, and why not", async () => {
    // The test server has no PUBLIC_URL: a feed that names a hub gets push "off", with the reason.
    const feed = await startFeedServer([], {
      hub: { url: 'https://hub.example.com/', in: 'feed' },
    });
    try {
      const created = await khabar.request('POST', '/api/sources', {
        body: JSON.stringify({ url: feed.url, channels: ['bihar'], intervalSeconds: 30 }),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const { id } = created.body as SourceView;
      await eventually(async () => {
        const source = (await khabar.request('GET', `/api/sources/${id}`)).body as SourceView;
        return source.push ? true : undefined;
      }, 15_000);
      await withDashboard(async (page) => {
        const push = page.locator(`#sources li[data-source-id="${id}"] .push`);
        await push.waitFor({ timeout: 10_000 });
        assert.equal(await push.locator('.badge').getAttribute('data-push'), 'off');
        assert.match(
          (await push.textContent()) ?? '',
          /hub https:\/\/hub\.example\.com\/.*PUBLIC_URL/,
        );
      });
    } finally {
      await feed.close();
    }
  });
  it('reloads its snapshot after a server restart: a post published while it was down appears', async () => {
    await withDashboard(async (page) => {
      await publish({ url: 'https://example.com/before', title: 'Before the restart' });
      await streamItem(page, 'Before the restart').waitFor({ timeout: 5000 });
      const port = Number(new URL(khabar.url).port);
      await khabar.node.close();
      await page.locator('#connection[data-state="reconnecting"]').waitFor({ timeout: 10_000 });
      // The newsroom namespace has no replay: only the snapshot can bring this one.
      const checked = normalizeArticle(
        { url: 'https://example.com/down', title: 'While the server was down' },
        Date.now(),
      );
      assert.ok(checked.ok);
      const id = await addJob(checked.article);
      // Stored before the restart, so no live push can bring it: the snapshot has to.
      await eventually(
        async () => ((await queue!.getJobState(id)) === 'completed' ? true : undefined),
        10_000,
      );
      const restarted = createServerNode(
        khabar.config,
        createLogger({ level: 'silent', role: 'test' }),
        {
          presenceIntervalMs: 500,
          newsroomIntervalMs: 500,
        },
      );
      await restarted.listen(port, '127.0.0.1');
      try {
        await streamItem(page, 'While the server was down').waitFor({ timeout: 15_000 });
        await page.locator('#connection[data-state="connected"]').waitFor({ timeout: 5000 });
        assert.deepEqual(await page.locator('#stream article .title').allTextContents(), [
          'While the server was down',
          'Before the restart',
        ]);
      } finally {
        await restarted.close();
      }
    });
  });
});
