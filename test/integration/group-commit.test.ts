import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createGroupCommit } from '../../server/http/group-commit.js';
import { createKeys } from '../../shared/domain/keys.js';
import {
  ARTICLE_JOB,
  BATCH_JOB,
  createIngestQueue,
  isBatch,
  type IngestJobData,
  type IngestQueue,
} from '../../shared/domain/ingest-queue.js';
import { accept } from '../helpers/articles.js';
import { sharedRedis, startTestRedis } from '../helpers/redis.js';

const article = (n: number) => accept({ url: `https://example.com/group/${n}`, title: `G${n}` });

describe('group commit of single-article POSTs', function () {
  this.timeout(20_000);
  let queue: IngestQueue;

  beforeEach(() => {
    queue = createIngestQueue(
      { url: sharedRedis().url },
      createKeys(`test-group-${randomUUID().slice(0, 8)}`),
    );
  });
  afterEach(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('sends a lone article at once, as an article job of its own', async () => {
    const job = await createGroupCommit(queue, { source: 'api' }).add(article(0), 1000);
    assert.equal(job.name, ARTICLE_JOB);
    assert.deepEqual(job.data, { article: article(0), acceptedAt: 1000, source: 'api' });
  });

  it('puts the articles that arrive while an add is in flight in one job, each with its own accepted time', async () => {
    const group = createGroupCommit(queue, { source: 'api' });
    const jobs = await Promise.all(
      Array.from({ length: 30 }, (_, n) => group.add(article(n), 1000 + n)),
    );
    // The first went alone; the 29 that arrived during its add went together.
    const [alone, grouped, ...others] = jobs;
    assert.equal(alone?.name, ARTICLE_JOB);
    assert.ok(grouped);
    assert.ok(others.every((job) => job.id === grouped.id));
    assert.equal(grouped.name, BATCH_JOB);
    const data: IngestJobData = grouped.data as IngestJobData;
    assert.ok(isBatch(data));
    assert.deepEqual(
      data.articles.map((a) => a.url),
      Array.from({ length: 29 }, (_, i) => `https://example.com/group/${i + 1}`),
    );
    assert.deepEqual(
      data.acceptedAts,
      Array.from({ length: 29 }, (_, i) => 1001 + i),
    );
    assert.equal(data.acceptedAt, 1001);
    // What each caller got is the job that holds its article, as Redis has it.
    const stored = await queue.getJob(grouped.id ?? '');
    assert.deepEqual(stored?.data, data);
  });

  it('holds at most maxArticles in a job: a full group leaves without waiting', async () => {
    const group = createGroupCommit(queue, { source: 'api', maxArticles: 4 });
    const jobs = await Promise.all(
      Array.from({ length: 11 }, (_, n) => group.add(article(n), 1000 + n)),
    );
    const sizes = new Map<string, number>();
    for (const job of jobs) sizes.set(job.id ?? '', (sizes.get(job.id ?? '') ?? 0) + 1);
    // 1 alone, then 4, 4 sent as they filled, and the last 2 once the adds were back.
    assert.deepEqual([...sizes.values()], [1, 4, 4, 2]);
  });

  it('refuses every article of an add Redis refused, and goes on once Redis takes writes again', async () => {
    // A Redis of its own, told to refuse every write (no memory left, nothing to evict).
    const redis = await startTestRedis();
    const admin = new Redis(redis.url);
    const own = createIngestQueue({ url: redis.url }, createKeys('test-group-refused'));
    try {
      const group = createGroupCommit(own, { source: 'api' });
      await own.waitUntilReady();
      await admin.config('SET', 'maxmemory', '1');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 5 }, (_, n) => group.add(article(n), 1000 + n)),
      );
      for (const outcome of outcomes) {
        assert.ok(outcome.status === 'rejected');
        assert.match(String(outcome.reason), /OOM/);
      }
      await admin.config('SET', 'maxmemory', '0');
      const after = await group.add(article(9), 2000);
      assert.equal(after.name, ARTICLE_JOB);
      assert.equal(await own.count(), 1);
    } finally {
      await own.close();
      admin.disconnect();
      await redis.stop();
    }
  });
});
