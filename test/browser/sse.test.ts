import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { PostEvent } from '../../shared/contract/protocol.js';
import { launchBrowser } from '../helpers/browser.js';
import {
  eventually,
  freePort,
  startKhabar,
  uniquePrefix,
  type TestKhabar,
} from '../helpers/khabar.js';

interface Seen {
  type: string;
  lastEventId: string;
  data: string;
}

describe('GET /api/stream in Chromium (EventSource)', function () {
  this.timeout(60_000);
  let khabar: TestKhabar | undefined;
  afterEach(async () => {
    await khabar?.close();
  });

  async function publish(...titles: string[]): Promise<void> {
    const articles = titles.map((title, n) => ({
      url: `https://example.com/browser-sse/${title.replace(/\W/g, '-')}-${n}`,
      title,
      channel: 'top',
    }));
    const answer = await (khabar as TestKhabar).postArticles({ articles });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
  }

  it('reconnects after a server restart with Last-Event-ID and misses nothing', async () => {
    const port = await freePort();
    const env = { KEY_PREFIX: uniquePrefix() };
    khabar = await startKhabar({ port, env });
    // One test: the browser is launched for it alone (and a missing Chromium fails it, saying why).
    const browser = await launchBrowser();
    try {
      await resumesAcrossRestart(browser, port, env);
    } finally {
      await browser.close();
    }
  });

  async function resumesAcrossRestart(
    browser: Browser,
    port: number,
    env: Record<string, string>,
  ): Promise<void> {
    const page = await browser.newPage();
    // A page of Khabar's own origin: the stream is then a same-origin request.
    await page.goto(`http://127.0.0.1:${port}/healthz`);
    await page.evaluate(() => {
      const seen: Seen[] = [];
      (window as unknown as { seen: Seen[] }).seen = seen;
      const source = new EventSource('/api/stream?channel=top');
      for (const type of ['snapshot', 'post:new'])
        source.addEventListener(type, (event) => {
          seen.push({ type, lastEventId: event.lastEventId, data: event.data as string });
        });
    });
    const seen = (): Promise<Seen[]> =>
      page.evaluate(() => (window as unknown as { seen: Seen[] }).seen);
    const titles = async (count: number): Promise<string[] | undefined> => {
      const events = (await seen()).filter((e) => e.type === 'post:new');
      return events.length >= count
        ? events.map((e) => (JSON.parse(e.data) as PostEvent).post.title)
        : undefined;
    };

    await eventually(async () => ((await seen()).length > 0 ? true : undefined));
    await publish('Before the restart');
    await eventually(() => titles(1));

    // Stop the node without clearing its keys: the next one serves the same history.
    const previous = khabar as TestKhabar;
    await previous.workers?.close(1000);
    await previous.node.close();
    khabar = await startKhabar({ port, env });
    previous.redis.disconnect();
    await publish('After the restart, one', 'After the restart, two');

    assert.deepEqual(await eventually(() => titles(3), 20_000), [
      'Before the restart',
      'After the restart, one',
      'After the restart, two',
    ]);
    const all = await seen();
    assert.deepEqual(
      all.map((e) => e.type),
      ['snapshot', 'post:new', 'post:new', 'post:new'],
    );
    for (const event of all.slice(1))
      assert.equal(event.lastEventId, (JSON.parse(event.data) as PostEvent).cursor);
    await page.close();
  }
});
