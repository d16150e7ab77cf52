import assert from 'node:assert/strict';
import { startFeedServer, type FeedItem } from '../helpers/feed-server.js';
import { createIngestQueue, type IngestQueue } from '../../shared/domain/ingest-queue.js';
import type { ArticlesAccepted, PostsAnswer, SourceView } from '../../shared/contract/http.js';
import { createChannelLog } from '../../shared/domain/channel-log.js';
import { normalizeArticle } from '../../shared/domain/article/normalize.js';
import { postContentHash, toStoredPost } from '../../shared/domain/article/stored.js';
import { createStoreArticle } from '../../workers/ingest/store-article.js';
import { keysUnder } from '../helpers/redis.js';
import { eventually, startKhabar, type TestKhabar } from '../helpers/khabar.js';

const RECENT_LIMIT = 100;
const hoursAgo = (h: number): string => new Date(Date.now() - h * 3_600_000).toISOString();

/** Redis's own count of the memory it holds for data, after the allocator settles. */
async function usedMemory(khabar: TestKhabar): Promise<number> {
  const info = await khabar.redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

describe('storage stays bounded', function () {
  this.timeout(180_000);
  let khabar: TestKhabar;
  let queue: IngestQueue;
  beforeEach(async () => {
    khabar = await startKhabar({
      env: {
        RECENT_LIMIT: String(RECENT_LIMIT),
        ALLOW_PRIVATE_FEEDS: 'true',
        INGEST_RATE_LIMIT: '0',
      },
    });
    queue = createIngestQueue(khabar.redis, khabar.keys);
  });
  afterEach(async () => {
    await queue.close();
    await khabar.close();
  });

  const postKeys = async (): Promise<string[]> =>
    (await keysUnder(khabar.redis, khabar.keys.post(''))).filter((key) => !key.endsWith(':seen'));

  /** Posts `count` articles to `channel` in batches of 100, each newer than the one before. */
  async function publish(channel: string, from: number, count: number): Promise<void> {
    for (let start = from; start < from + count; start += 100) {
      const articles = Array.from({ length: Math.min(100, from + count - start) }, (_, i) => ({
        url: `https://example.com/${channel}/${start + i}`,
        title: `Story ${start + i}`,
        channel,
        publishedAt: new Date(Date.UTC(2026, 0, 1) + (start + i) * 1000).toISOString(),
      }));
      const answer = await khabar.postArticles({ articles });
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
    }
  }

  /** Every job done, and every post they trimmed pruned (the worker prunes in batches). */
  async function drained(): Promise<void> {
    await eventually(async () => {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed');
      const pending = (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0);
      const unpruned = await khabar.redis.scard(khabar.keys.trimmedPosts);
      return pending === 0 && unpruned === 0 ? true : undefined;
    }, 60_000);
  }

  it('keeps Redis memory flat while 10,000 articles flow through one channel (RECENT_LIMIT=100)', async () => {
    const samples: { articles: number; bytes: number; keys: string[] }[] = [];
    for (let done = 0; done < 10_000; done += 2000) {
      await publish('soak', done, 2000);
      await drained();
      samples.push({
        articles: done + 2000,
        bytes: await usedMemory(khabar),
        // Khabar's own keys, less what appears on a timer (each node's presence, the queue history
        // the workers record every 30 s, the job metrics they flush every few seconds); the
        // queue's keys vary by a job or two (the canary).
        keys: (await keysUnder(khabar.redis, khabar.keys.data)).filter(
          (key) => !/:(presence|queue-history|metrics:jobs)(:|$)/.test(key),
        ),
      });
    }
    console.log(
      `      Redis used_memory: ${samples.map((s) => `${s.articles}: ${(s.bytes / 2 ** 20).toFixed(2)} MiB, ${s.keys.length} keys`).join('; ')}`,
    );
    assert.equal((await postKeys()).length, RECENT_LIMIT);
    const [, warm, , , last] = samples;
    assert.ok(warm && last);
    const added = last.keys.filter((key) => !warm.keys.includes(key));
    assert.equal(
      last.keys.length,
      warm.keys.length,
      `no key left behind per article: ${added.join(', ')}`,
    );
    // The bounded buffers (fan-out stream, kept jobs) fill by 4,000 articles; unbounded posts
    // would add over 2 MiB per 6,000 articles here.
    assert.ok(
      last.bytes - warm.bytes < 1 << 20,
      `grew ${last.bytes - warm.bytes} bytes from ${warm.articles} to ${last.articles} articles`,
    );
    const { body } = await khabar.request('GET', '/api/posts?channel=soak&limit=1', {
      token: null,
    });
    assert.equal((body as PostsAnswer).posts[0]?.title, 'Story 9999');
  });

  it('deletes a post once no channel lists it, and keeps one that another channel still shows', async () => {
    const shared = await khabar.postArticles({
      url: 'https://example.com/shared',
      title: 'In two channels',
      channels: ['busy', 'quiet'],
      publishedAt: new Date(Date.UTC(2025, 0, 1)).toISOString(),
    });
    assert.equal(shared.status, 202);
    await drained();
    await publish('busy', 0, RECENT_LIMIT + 5);
    await drained();
    const [{ id } = { id: '' }] = (shared.body as ArticlesAccepted).accepted;
    const keys = await postKeys();
    assert.ok(keys.includes(khabar.keys.post(id)), 'still shown in "quiet"');
    // busy's 100 newest, plus the shared post that "quiet" still shows.
    assert.equal(keys.length, RECENT_LIMIT + 1);
  });

  it('prunes what a job trimmed but never pruned (its reply lost), when the job is retried', async () => {
    await publish('lost', 0, RECENT_LIMIT);
    await drained();
    const channelLog = createChannelLog(khabar.redis, khabar.keys, khabar.config);
    const normalized = normalizeArticle(
      {
        url: 'https://example.com/lost/next',
        title: 'Pushes the oldest out',
        channel: 'lost',
        publishedAt: new Date(Date.UTC(2026, 1, 1)).toISOString(),
      },
      Date.now(),
    );
    assert.ok(normalized.ok);
    const post = toStoredPost(normalized.article, normalized.article.publishedAt ?? '');
    // The first attempt: applied in Redis, and then the worker never got to prune.
    const first = await channelLog.upsert(post, postContentHash(post), Date.now(), null);
    assert.equal(first.status, 'applied');
    assert.equal((await postKeys()).length, RECENT_LIMIT + 1);
    // The retry finds the post unchanged, and prunes what the first attempt left.
    const retried = await createStoreArticle(channelLog)(normalized.article, Date.now());
    assert.equal(retried.status, 'unchanged');
    assert.equal((await postKeys()).length, RECENT_LIMIT);
    assert.equal(await khabar.redis.scard(khabar.keys.trimmedPosts), 0);
  });

  it('stores nothing for an article older than every full list it would enter, so trimmed posts never come back', async () => {
    await publish('full', 0, RECENT_LIMIT + 1);
    await drained();
    const before = await postKeys();
    const old = await khabar.postArticles({
      url: 'https://example.com/full/0', // the first one, trimmed (and deleted) already
      title: 'Story 0',
      channel: 'full',
      publishedAt: new Date(Date.UTC(2026, 0, 1)).toISOString(),
    });
    assert.equal(old.status, 202);
    await drained();
    assert.deepEqual(await postKeys(), before);
    const completed = khabar.logs.filter((l) => l.event === 'job.completed');
    assert.equal(completed.at(-1)?.status, 'expired');
  });

  it('takes only the RECENT_LIMIT newest items of a huge feed in one poll', async () => {
    const items: FeedItem[] = Array.from({ length: 20_000 }, (_, i) => ({
      guid: `item-${i}`,
      title: `Item ${i}`,
      link: `https://www.example.com/items/${i}`,
      pubDate: hoursAgo(20_000 - i), // the feed lists the oldest first
    }));
    const feed = await startFeedServer(items);
    try {
      const created = await khabar.request('POST', '/api/sources', {
        body: JSON.stringify({ url: feed.url, channels: ['huge'], intervalSeconds: 60 }),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const { id } = created.body as SourceView;
      const lastPoll = await eventually(async () => {
        const view = (await khabar.request('GET', `/api/sources/${id}`)).body as SourceView;
        return view.lastPoll;
      }, 60_000);
      assert.equal(lastPoll.status, 'ok', JSON.stringify(lastPoll));
      assert.equal(lastPoll.items, 20_000);
      assert.equal(lastPoll.added, RECENT_LIMIT);
      assert.equal((await postKeys()).length, RECENT_LIMIT);
      const seen = await khabar.redis.hlen(khabar.keys.sourceSeen(id));
      assert.equal(seen, RECENT_LIMIT);
      const { body } = await khabar.request('GET', '/api/posts?channel=huge&limit=1', {
        token: null,
      });
      assert.equal((body as PostsAnswer).posts[0]?.title, 'Item 19999');
    } finally {
      await feed.close();
    }
  });
});
