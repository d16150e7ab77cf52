import assert from 'node:assert/strict';
import type { ArticlesAccepted, ErrorAnswer, PostsAnswer } from '../../shared/contract/http.js';
import { BATCH_JOB, CANARY_JOB, createIngestQueue } from '../../shared/domain/ingest-queue.js';
import { accept } from '../helpers/articles.js';
import { keysUnder } from '../helpers/redis.js';
import {
  eventually,
  startKhabar,
  startKhabarWithOwnRedis,
  subscribe,
  type HttpAnswer,
  type TestKhabar,
} from '../helpers/khabar.js';

const good = { url: 'https://example.com/news/1', title: 'A good title' };

describe('ingest API', function () {
  let khabar: TestKhabar;
  before(async () => {
    khabar = await startKhabar({ env: { INGEST_RATE_LIMIT: '0' } });
  });
  after(async () => {
    await khabar.close();
  });

  /** What a request could have left behind: Khabar's data keys and the queue's jobs. */
  async function traces(): Promise<unknown> {
    const queue = createIngestQueue(khabar.redis, khabar.keys);
    // Jobs move between states on their own (and canaries come and go): count the articles
    // ever queued, whatever state they are in now.
    const all = await queue.getJobs([
      'waiting',
      'prioritized',
      'active',
      'delayed',
      'completed',
      'failed',
    ]);
    const jobs = all.filter((job) => job.name !== CANARY_JOB).length;
    await queue.close();
    // Presence reports are the node's own heartbeat, and the queues' history the workers'
    // (every 30 s), written whatever the requests do; the newsroom stream is where a
    // rejection is reported to the dashboards (ingest:rejected).
    const data = await keysUnder(khabar.redis, khabar.keys.data);
    const history = khabar.keys.queueHistory('');
    const notData = (key: string): boolean =>
      key.startsWith(khabar.keys.presenceNodes) ||
      key.startsWith(history) ||
      key === khabar.keys.newsroomEvents;
    return { data: data.filter((key) => !notData(key)), jobs };
  }

  /** Sends a bad request and checks it is refused with `status`/`code` and leaves Redis as it was. */
  async function refused(
    send: () => Promise<HttpAnswer>,
    status: number,
    code: string,
  ): Promise<ErrorAnswer> {
    const before = await traces();
    const answer = await send();
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    const body = answer.body as ErrorAnswer;
    assert.equal(body.error, code);
    assert.ok(body.message.length > 15 && body.message.endsWith('.'), body.message);
    assert.deepEqual(await traces(), before);
    return body;
  }

  const post = (body: unknown) => () => khabar.postArticles(body);

  it('answers 401 without a token and 403 with a wrong one', async () => {
    await refused(() => khabar.postArticles(good, { token: null }), 401, 'unauthorized');
    await refused(
      () => khabar.postArticles(good, { token: 'wrong-token-000000000000' }),
      403,
      'forbidden',
    );
    await refused(
      () => khabar.request('DELETE', '/api/articles/pAAAAAAAAAAAAAAAAAAAAAA', { token: null }),
      401,
      'unauthorized',
    );
  });

  it('answers 415 to a body that is not declared as JSON', async () => {
    await refused(
      () => khabar.postArticles(good, { contentType: 'text/plain' }),
      415,
      'unsupported_media_type',
    );
    await refused(
      () => khabar.postArticles(good, { contentType: 'application/x-www-form-urlencoded' }),
      415,
      'unsupported_media_type',
    );
  });

  it('answers 400 to malformed JSON and 413 to a body over 1 MiB', async () => {
    await refused(
      () => khabar.postArticles(null, { raw: '{"url": "https://x.com", ' }),
      400,
      'invalid_json',
    );
    const huge = { ...good, summary: 'x'.repeat(1024 * 1024) };
    await refused(post(huge), 413, 'payload_too_large');
  });

  it('answers 400 to bodies that are neither an article nor a batch of 1–100', async () => {
    await refused(post([good]), 400, 'invalid_body');
    await refused(post('just a string'), 400, 'invalid_body');
    await refused(post({ articles: [] }), 400, 'invalid_body');
    await refused(post({ articles: good }), 400, 'invalid_body');
    await refused(
      post({ articles: Array.from({ length: 101 }, () => good) }),
      400,
      'too_many_articles',
    );
  });

  const badArticles: [string, Record<string, unknown>, string][] = [
    ['a missing url', { title: 'x' }, 'url'],
    ['a relative url', { url: '/news/1', title: 'x' }, 'url'],
    ['a javascript: url', { url: 'javascript:alert(1)', title: 'x' }, 'url'],
    [
      'a url over 2048 characters',
      { url: `https://example.com/${'a'.repeat(2048)}`, title: 'x' },
      'url',
    ],
    ['a missing title', { url: good.url }, 'title'],
    ['a title of nothing but tags', { ...good, title: '<b> </b><script>x</script>' }, 'title'],
    ['a title over 300 characters', { ...good, title: 'x'.repeat(301) }, 'title'],
    ['a title that is not text', { ...good, title: 42 }, 'title'],
    ['an upper-case channel', { ...good, channel: 'Bihar' }, 'channel'],
    [
      'eleven channels',
      { ...good, channels: Array.from({ length: 11 }, (_, i) => `c${i}`) },
      'channels',
    ],
    ['an empty channel list', { ...good, channels: [] }, 'channels'],
    [
      'a date ten minutes ahead',
      {
        ...good,
        // Read when the request is sent, not when the file loads: minutes may pass in between.
        get publishedAt() {
          return new Date(Date.now() + 600_000).toISOString();
        },
      },
      'publishedAt',
    ],
    ['a date without an offset', { ...good, publishedAt: '2024-06-19T10:00:00' }, 'publishedAt'],
    ['an ftp image', { ...good, imageUrl: 'ftp://example.com/a.jpg' }, 'imageUrl'],
    ['a malformed language tag', { ...good, lang: 'not a tag!' }, 'lang'],
    ['an id over 512 characters', { ...good, id: 'i'.repeat(513) }, 'id'],
    ['an author over 120 characters', { ...good, author: 'a'.repeat(121) }, 'author'],
  ];
  for (const [what, article, path] of badArticles) {
    it(`refuses an article with ${what} (400, detail at ${path})`, async () => {
      const body = await refused(post(article), 400, 'invalid_article');
      assert.ok(
        body.details?.some((d) => d.path.startsWith(path) && d.message.length > 10),
        JSON.stringify(body.details),
      );
    });
  }

  it('reports every problem of every article in an all-bad batch, with paths', async () => {
    const body = await refused(
      post({ articles: [{ title: 'no url' }, { url: 'https://x.com/1', title: '' }] }),
      400,
      'invalid_articles',
    );
    const paths = body.details?.map((d) => d.path) ?? [];
    assert.ok(paths.includes('articles[0].url'), paths.join());
    assert.ok(paths.includes('articles[1].title'), paths.join());
  });

  it('accepts the good articles of a mixed batch and lists the rejected ones by index', async () => {
    const answer = await khabar.postArticles({
      articles: [good, { url: 'nope', title: 'x' }, { ...good, url: 'https://example.com/2' }],
    });
    assert.equal(answer.status, 202);
    const body = answer.body as ArticlesAccepted;
    assert.equal(body.accepted.length, 2);
    assert.ok(body.accepted.every((a) => /^p[\w-]{22}$/.test(a.id) && a.jobId));
    assert.deepEqual(
      body.rejected.map((r) => [r.index, r.error]),
      [[1, 'invalid_article']],
    );
    assert.ok(khabar.logs.some((l) => l.event === 'ingest.rejected' && l.index === 1));
  });

  it('answers the same id for the same article, whatever its utm parameters and fragment', async () => {
    const a = await khabar.postArticles({
      url: 'https://example.com/same?utm_source=tw#top',
      title: 'Same',
    });
    const b = await khabar.postArticles({ url: 'HTTPS://Example.com/same', title: 'Same' });
    const idOf = (answer: HttpAnswer) => (answer.body as ArticlesAccepted).accepted[0]!.id;
    assert.equal(idOf(a), idOf(b));
  });

  it('answers 404 to DELETE of an unknown or malformed id, changing nothing', async () => {
    await refused(
      () => khabar.request('DELETE', '/api/articles/pAAAAAAAAAAAAAAAAAAAAAA'),
      404,
      'not_found',
    );
    await refused(() => khabar.request('DELETE', '/api/articles/%3Cscript%3E'), 404, 'not_found');
  });

  it('answers 400 to a read with a bad channel, limit or date', async () => {
    for (const query of [
      'channel=Bad!',
      'limit=0',
      'limit=101',
      'limit=ten',
      'before=yesterday',
      'channel=a&channel=b',
    ]) {
      const answer = await khabar.request('GET', `/api/posts?${query}`, { token: null });
      assert.equal(answer.status, 400, query);
      assert.equal((answer.body as ErrorAnswer).error, 'invalid_query');
    }
  });

  it('answers JSON 404 for unknown routes', async () => {
    const answer = await khabar.request('GET', '/api/nothing-here', { token: null });
    assert.equal(answer.status, 404);
    assert.equal((answer.body as ErrorAnswer).error, 'not_found');
  });

  it('logs the job lifecycle: job.added, job.active, job.completed with durationMs', async () => {
    const answer = await khabar.postArticles({
      url: 'https://example.com/logged',
      title: 'Logged',
    });
    const { id, jobId } = (answer.body as ArticlesAccepted).accepted[0]!;
    const completed = await eventually(() =>
      khabar.logs.find((l) => l.event === 'job.completed' && l.jobId === jobId),
    );
    assert.equal(completed.postId, id);
    assert.equal(completed.queue, 'ingest');
    assert.equal(typeof completed.durationMs, 'number');
    for (const event of ['job.added', 'job.active']) {
      assert.ok(
        khabar.logs.some((l) => l.event === event && l.jobId === jobId),
        event,
      );
    }
  });

  it('fails a job with data that can never succeed once, without retries, and logs job.failed final', async () => {
    const queue = createIngestQueue(khabar.redis, khabar.keys);
    const job = await queue.add('article', {
      article: { id: 'forged', url: 'x', title: '', channels: [] },
      acceptedAt: Date.now(),
      source: 'test',
    });
    const failed = await eventually(() =>
      khabar.logs.find((l) => l.event === 'job.failed' && l.jobId === job.id),
    );
    await queue.close();
    assert.equal(failed.final, true);
    assert.equal(failed.attemptsMade, 1);
  });

  it('stores a batch by one job, in its order, and names every post in its log lines', async () => {
    const channels = ['batch-order'];
    const articles = [1, 2, 3].map((n) => ({
      url: `https://example.com/batch/${n}`,
      title: `B${n}`,
      channels,
    }));
    const socket = await khabar.connect();
    const before = await subscribe(socket, { channel: 'batch-order' });
    assert.ok(before.ok);
    const answer = await khabar.postArticles({ articles });
    const accepted = (answer.body as ArticlesAccepted).accepted;
    const jobId = accepted[0]!.jobId;
    assert.ok(
      accepted.every((a) => a.jobId === jobId),
      JSON.stringify(accepted),
    );
    const completed = await eventually(() =>
      khabar.logs.find((l) => l.event === 'job.completed' && l.jobId === jobId),
    );
    assert.deepEqual(
      completed.postIds,
      accepted.map((a) => a.id),
    );
    assert.deepEqual(completed.statuses, { created: 3 });
    assert.equal(completed.events, 3);
    // The channel's events are in the batch's order.
    const replay = await subscribe(socket, { channel: 'batch-order', since: before.cursor });
    socket.disconnect();
    assert.ok(replay.ok && replay.recovered);
    assert.deepEqual(
      replay.events?.map((e) => (e.type === 'post:new' ? e.post.id : e.type)),
      accepted.map((a) => a.id),
    );
    // Done, it leaves the queue: a batch is up to ~500 KB of data (BATCH_JOB_OPTIONS).
    const queue = createIngestQueue(khabar.redis, khabar.keys);
    assert.equal(await queue.getJob(jobId), undefined);
    await queue.close();
  });

  it('shares a job among single-article POSTs sent at once, and stores each article with its own accepted time', async () => {
    const channels = ['group-commit'];
    const count = 24;
    const answers = await Promise.all(
      Array.from({ length: count }, (_, n) =>
        khabar.postArticles({
          url: `https://example.com/group-post/${n}`,
          title: `G${n}`,
          channels,
        }),
      ),
    );
    assert.ok(
      answers.every((a) => a.status === 202),
      JSON.stringify(answers.map((a) => a.status)),
    );
    const accepted = answers.map((a) => (a.body as ArticlesAccepted).accepted[0]!);
    const jobs = new Set(accepted.map((a) => a.jobId));
    assert.ok(jobs.size < count, `${jobs.size} jobs for ${count} POSTs sent at once`);
    const page = await eventually(async () => {
      const answer = await khabar.request('GET', '/api/posts?channel=group-commit&limit=50', {
        token: null,
      });
      const { posts } = answer.body as PostsAnswer;
      return posts.length === count ? posts : undefined;
    });
    assert.deepEqual(new Set(page.map((p) => p.id)), new Set(accepted.map((a) => a.id)));

    // Each article keeps the time it was accepted at (its publishedAt, here), not its group's.
    const queue = createIngestQueue(khabar.redis, khabar.keys);
    const at = Date.parse('2026-01-02T03:04:05.000Z');
    const grouped = [1, 2].map((n) =>
      accept({ url: `https://example.com/group-times/${n}`, title: `T${n}`, channels }, at),
    );
    const job = await queue.add(BATCH_JOB, {
      articles: grouped,
      acceptedAt: at,
      acceptedAts: [at, at + 60_000],
      source: 'test',
    });
    await eventually(() =>
      khabar.logs.find((l) => l.event === 'job.completed' && l.jobId === job.id),
    );
    const posts = (
      (await khabar.request('GET', '/api/posts?channel=group-commit&limit=50', { token: null }))
        .body as PostsAnswer
    ).posts;
    assert.deepEqual(
      grouped.map((a) => posts.find((p) => p.id === a.id)?.publishedAt),
      ['2026-01-02T03:04:05.000Z', '2026-01-02T03:05:05.000Z'],
    );

    // Times that do not match the articles fail the job for good.
    for (const acceptedAts of [[at], [at, 'soon'], 'now']) {
      const forged = await queue.add(BATCH_JOB, {
        articles: grouped,
        acceptedAt: at,
        acceptedAts: acceptedAts as never,
        source: 'test',
      });
      const line = await eventually(() =>
        khabar.logs.find((l) => l.event === 'job.failed' && l.jobId === forged.id),
      );
      assert.equal(line.final, true);
      assert.match(String((line.err as { message?: string }).message), /^invalid acceptedAts/);
    }
    await queue.close();
  });

  it('fails a batch with a forged article for good, after storing the others, naming its index', async () => {
    const queue = createIngestQueue(khabar.redis, khabar.keys);
    const stored = accept(
      { url: 'https://example.com/forged-batch/ok', title: 'Kept' },
      Date.now(),
    );
    const job = await queue.add(BATCH_JOB, {
      articles: [stored, { id: 'forged', url: 'x', title: '', channels: [] }],
      acceptedAt: Date.now(),
      source: 'test',
    });
    const failed = await eventually(() =>
      khabar.logs.find((l) => l.event === 'job.failed' && l.jobId === job.id),
    );
    assert.equal(failed.final, true);
    assert.match(
      String((failed.err as { message?: string }).message),
      /^articles\[1\]: invalid article/,
    );
    const failedJob = await queue.getJob(job.id!);
    assert.equal(await failedJob?.getState(), 'failed');
    const page = await khabar.request('GET', '/api/posts?channel=top&limit=1', { token: null });
    assert.equal((page.body as PostsAnswer).posts[0]?.id, stored.id);

    // Batches that are no batch at all fail for good too, and the worker lives on to say so.
    const malformed = [
      { articles: 'not a list', error: /^invalid batch/ },
      { articles: [null, 7], error: /^articles\[0\]: invalid article.*; articles\[1\]: invalid/ },
    ];
    for (const { articles, error } of malformed) {
      const forged = await queue.add(BATCH_JOB, {
        articles: articles as never,
        acceptedAt: Date.now(),
        source: 'test',
      });
      const line = await eventually(() =>
        khabar.logs.find((l) => l.event === 'job.failed' && l.jobId === forged.id),
      );
      assert.equal(line.final, true);
      assert.match(String((line.err as { message?: string }).message), error);
    }
    await queue.close();
  });
});

describe('ingest API limits and outages', function () {
  it('answers 429 with Retry-After past the per-token rate limit', async () => {
    const khabar = await startKhabar({ env: { INGEST_RATE_LIMIT: '2' }, workers: false });
    try {
      assert.equal((await khabar.postArticles(good)).status, 202);
      assert.equal((await khabar.postArticles(good)).status, 202);
      const limited = await khabar.postArticles(good);
      assert.equal(limited.status, 429);
      assert.equal((limited.body as ErrorAnswer).error, 'rate_limited');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    } finally {
      await khabar.close();
    }
  });

  it('switches the write API off (503) in production when INGEST_TOKENS is unset', async () => {
    const khabar = await startKhabar({
      env: { NODE_ENV: 'production', INGEST_TOKENS: '' },
      workers: false,
    });
    try {
      const answer = await khabar.postArticles(good);
      assert.equal(answer.status, 503);
      assert.equal((answer.body as ErrorAnswer).error, 'write_api_disabled');
    } finally {
      await khabar.close();
    }
  });

  it('answers 503 with Retry-After within seconds, never 202, while Redis is down; /readyz too', async () => {
    const { khabar, redis } = await startKhabarWithOwnRedis({ workers: false });
    try {
      assert.equal((await khabar.request('GET', '/readyz', { token: null })).status, 200);
      await redis.kill();
      const started = Date.now();
      const answer = await khabar.postArticles(good);
      const tookMs = Date.now() - started;
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.equal((answer.body as ErrorAnswer).error, 'redis_unavailable');
      assert.ok(Number(answer.headers.get('retry-after')) >= 1);
      assert.ok(tookMs < 5000, `the request hung for ${tookMs} ms`);
      assert.equal((await khabar.request('GET', '/readyz', { token: null })).status, 503);
      assert.equal((await khabar.request('GET', '/api/posts', { token: null })).status, 503);
      assert.equal((await khabar.request('GET', '/healthz', { token: null })).status, 200);
    } finally {
      await khabar.close();
      await redis.stop();
    }
  });
});
