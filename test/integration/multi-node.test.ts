import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { PostsAnswer } from '../../shared/contract/http.js';
import { createIngestQueue } from '../../shared/domain/ingest-queue.js';
import { createKeys } from '../../shared/domain/keys.js';
import type {
  PostEvent,
  ReplayedEvent,
  SubscribeAnswer,
  SubscribeOk,
} from '../../shared/contract/protocol.js';
import type { RedisProcess } from '../../server/launch/redis-process.js';
import { startBalancer, type Balancer } from '../helpers/balancer.js';
import {
  acceptedOf,
  getJson,
  kill,
  postArticles,
  startCluster,
  terminate,
  type Cluster,
} from '../helpers/cluster.js';
import { eventually, nextEvent, subscribe, within, type FeedSocket } from '../helpers/khabar.js';
import { sharedRedis, startTestRedis } from '../helpers/redis.js';

/** A distinct article; `publishedAt` a second apart per `n`, so `before=` pages cleanly. */
function article(tag: string, n: number): Record<string, unknown> {
  return {
    url: `https://example.com/${tag}/${n}`,
    title: `${tag} story ${n}`,
    publishedAt: new Date(Date.now() - 30 * 60_000 + n * 1000).toISOString(),
  };
}

function ok(answer: SubscribeAnswer): SubscribeOk {
  assert.equal(answer.ok, true, JSON.stringify(answer));
  return answer;
}

const epochOf = (cursor: string): string => cursor.slice(0, cursor.lastIndexOf('-'));
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const sorted = (ids: readonly string[]): string[] => [...ids].sort();

async function cursorOf(url: string): Promise<string> {
  const answer = await getJson(url, '/api/posts?channel=top&limit=1');
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return (answer.body as PostsAnswer).cursor;
}

/** Every `post:new` a socket receives, in arrival order. */
function recordNew(socket: FeedSocket): PostEvent[] {
  const seen: PostEvent[] = [];
  socket.on('post:new', (event) => seen.push(event));
  return seen;
}

/** What each client received (count, seqs missing below its highest), and `channel.reload` logs. */
function explainDelivery(clients: readonly PostEvent[][], cluster: Cluster): string {
  const seen = clients.map((events, i) => {
    const seqs = new Set(events.map((e) => e.seq));
    const missing = range(1, Math.max(0, ...seqs)).filter((seq) => !seqs.has(seq));
    return `client ${i} got ${events.length} events, missing seqs [${missing.join(',')}]`;
  });
  const reloads = cluster.servers.map((server) => {
    const lines = server.logs.filter((l) => l.event === 'channel.reload');
    const first = lines[0] ? `, first: ${JSON.stringify(lines[0])}` : '';
    return `node :${server.port} logged ${lines.length} channel.reload${first}`;
  });
  return [...seen, ...reloads].join('; ');
}

/** POSTs `body` until a node answers 202 (Redis may be coming back); the post id and when. */
async function postUntilAccepted(
  url: string,
  body: unknown,
  timeoutMs: number,
): Promise<{ id: string; at: number }> {
  return eventually(async () => {
    const answer = await postArticles(url, body).catch(() => undefined);
    if (answer?.status !== 202) return undefined;
    return { id: acceptedOf(answer)[0]!.id, at: Date.now() };
  }, timeoutMs);
}

describe('several server and worker processes on one Redis', function () {
  this.timeout(60_000);

  let cluster: Cluster | undefined;
  let balancer: Balancer | undefined;
  let ownRedis: RedisProcess | undefined;
  let ownDir: string | undefined;

  afterEach(async () => {
    // Every child is killed whatever happened; keys are removed from the shared Redis only.
    await cluster?.close({ cleanKeys: ownRedis === undefined }).catch(() => undefined);
    await balancer?.close().catch(() => undefined);
    await ownRedis?.stop().catch(() => undefined);
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
    cluster = balancer = ownRedis = ownDir = undefined;
  });

  it('delivers each post exactly once and in seq order to clients of two nodes when the posts go to one node', async () => {
    cluster = startCluster({ redisUrl: sharedRedis().url });
    const [a, b] = await Promise.all([cluster.startServer(), cluster.startServer()]);
    await cluster.startWorker();
    const [onA, onB] = await Promise.all([cluster.connect(a.url), cluster.connect(b.url)]);
    for (const socket of [onA, onB]) {
      const answer = ok(await subscribe(socket, { channel: 'top' }));
      assert.deepEqual(answer.posts, []);
    }
    const seen = [recordNew(onA), recordNew(onB)];

    const posted: string[] = [];
    for (let n = 0; n < 5; n++) {
      posted.push(
        ...acceptedOf(await postArticles(a.url, article('two-nodes', n))).map((x) => x.id),
      );
    }
    const explain = (): string => explainDelivery(seen, cluster!);
    await within(() => (seen.every((s) => s.length >= 5) ? true : undefined), 10_000, explain);
    // A sixth post marks the end: a duplicate of the first five would arrive before it.
    const [end] = acceptedOf(await postArticles(a.url, article('two-nodes-end', 0)));
    await within(() => (seen.every((s) => s.length >= 6) ? true : undefined), 10_000, explain);

    for (const events of seen) {
      assert.deepEqual(
        events.map((e) => e.seq),
        range(1, 6),
      );
      assert.deepEqual(sorted(events.slice(0, 5).map((e) => e.post.id)), sorted(posted));
      assert.equal(events[5]?.post.id, end?.id);
      assert.equal(new Set(events.map((e) => epochOf(e.cursor))).size, 1);
    }
    assert.deepEqual(
      seen[0]!.map((e) => e.post.id),
      seen[1]!.map((e) => e.post.id),
    );
  });

  // Guards the first event of a channel a node cached while empty (epoch "0", seq 0): it must
  // not count as a gap. Such a reload let the snapshot get ahead of the fan-out, and the events
  // in between were then dropped as 'duplicate' for the clients already in the room.
  it('pushes every event to clients that subscribed to channels while they were still empty', async () => {
    cluster = startCluster({ redisUrl: sharedRedis().url });
    const [a, b] = await Promise.all([cluster.startServer(), cluster.startServer()]);
    await cluster.startWorker();
    const channels = range(1, 40).map((n) => `empty-${n}`);
    /** `<node>/<channel>` → the post:new events the client on that node received. */
    const seen = new Map<string, PostEvent[]>();
    for (const [node, url] of [
      ['A', a.url],
      ['B', b.url],
    ] as const) {
      const socket = await cluster.connect(url);
      for (const channel of channels) {
        assert.equal(ok(await subscribe(socket, { channel })).cursor, '0-0');
        seen.set(`${node}/${channel}`, []);
      }
      socket.on('post:new', (event) => seen.get(`${node}/${event.channel}`)?.push(event));
    }

    // Five posts per channel, 200 in two requests: each channel's first events come in a burst.
    const articles = channels.flatMap((channel) =>
      range(1, 5).map((n) => ({ ...article(channel, n), channel })),
    );
    for (const batch of [articles.slice(0, 100), articles.slice(100)]) {
      acceptedOf(await postArticles(a.url, { articles: batch }));
    }
    await within(
      () => ([...seen.values()].every((events) => events.length >= 5) ? true : undefined),
      5000,
      () =>
        [...seen]
          .filter(([, events]) => events.length < 5)
          .map(([key, events]) => `${key} got seqs [${events.map((e) => e.seq).join(',')}]`)
          .join('; ') + `; ${explainDelivery([], cluster!)}`,
    );
    for (const [key, events] of seen) {
      assert.deepEqual(
        events.map((e) => e.seq),
        range(1, 5),
        key,
      );
    }
  });

  it('resumes a client from its cursor with exactly the missed events after every server process was restarted', async () => {
    cluster = startCluster({ redisUrl: sharedRedis().url });
    const [a, b] = await Promise.all([cluster.startServer(), cluster.startServer()]);
    await cluster.startWorker();
    acceptedOf(await postArticles(a.url, article('resume', 0)));
    await eventually(async () => ((await cursorOf(a.url)).endsWith('-1') ? true : undefined));

    const socket = await cluster.connect(a.url);
    const { cursor } = ok(await subscribe(socket, { channel: 'top' }));
    assert.match(cursor, /^[0-9a-z]+-1$/);
    socket.disconnect();

    const missed: string[] = [];
    for (let n = 1; n <= 3; n++) {
      missed.push(...acceptedOf(await postArticles(b.url, article('resume', n))).map((x) => x.id));
    }
    await eventually(async () => ((await cursorOf(b.url)).endsWith('-4') ? true : undefined));

    assert.deepEqual(await Promise.all([terminate(a), terminate(b)]), [0, 0]);
    const [, d] = await Promise.all([cluster.startServer(), cluster.startServer()]);

    const again = await cluster.connect(d.url);
    const resumed = ok(await subscribe(again, { channel: 'top', since: cursor }));
    assert.equal(resumed.recovered, true, JSON.stringify(resumed));
    assert.equal(resumed.posts, undefined);
    const events = resumed.events ?? [];
    assert.deepEqual(
      events.map((e) => [e.type, e.seq]),
      [
        ['post:new', 2],
        ['post:new', 3],
        ['post:new', 4],
      ],
    );
    const ids = events.map((e) => (e.type === 'post:removed' ? e.id : e.post.id));
    assert.deepEqual(sorted(ids), sorted(missed));
    assert.equal(resumed.cursor, `${epochOf(cursor)}-4`);
  });

  it('answers recovered: false with a snapshot of only the new post when Redis lost the history (new epoch)', async () => {
    ownRedis = await startTestRedis({ appendOnly: false });
    const port = ownRedis.port;
    cluster = startCluster({ redisUrl: ownRedis.url });
    const server = await cluster.startServer();
    await cluster.startWorker();

    const socket = await cluster.connect(server.url);
    ok(await subscribe(socket, { channel: 'top' }));
    const first = nextEvent(socket, 'post:new');
    const [lost] = acceptedOf(await postArticles(server.url, article('lost', 0)));
    assert.ok(lost);
    const { cursor } = await first;
    assert.match(cursor, /-1$/);
    socket.disconnect();

    await ownRedis.stop();
    ownRedis = await startTestRedis({ appendOnly: false, port });

    const fresh = await postUntilAccepted(server.url, article('lost', 1), 15_000);
    await eventually(async () => {
      const page = (await getJson(server.url, '/api/posts?channel=top')).body as PostsAnswer;
      return page.posts.some((p) => p.id === fresh.id) ? true : undefined;
    }, 15_000);

    const comeback = await cluster.connect(server.url);
    // The node learns of the new history from its fan-out; until then it answers from memory.
    const answer = await eventually(async () => {
      const reply = ok(await subscribe(comeback, { channel: 'top', since: cursor }));
      return epochOf(reply.cursor) === epochOf(cursor) ? undefined : reply;
    }, 10_000);
    assert.equal(answer.recovered, false, JSON.stringify(answer));
    assert.equal(answer.events, undefined);
    // The new post, and possibly the lost one: the node answered 202 for it within the minute
    // its accepted journal covers, so it queues it again on seeing the new master (issue 15).
    const ids = answer.posts?.map((p) => p.id) ?? [];
    assert.ok(ids.includes(fresh.id), JSON.stringify(ids));
    assert.ok(
      ids.every((id) => id === fresh.id || id === lost.id),
      JSON.stringify(ids),
    );
    // One event per post of the new history: the new post, and the lost one if queued again.
    assert.match(answer.cursor, new RegExp(`^[0-9a-z]+-${ids.length}$`));
  });

  it("sends a SIGTERMed node's clients to the other node through the balancer, every post seen exactly once", async () => {
    cluster = startCluster({ redisUrl: sharedRedis().url });
    const [a, b] = await Promise.all([cluster.startServer(), cluster.startServer()]);
    await cluster.startWorker();
    const order = [a.port, b.port];
    balancer = await startBalancer(() => order);

    const socket = cluster.open(balancer.url, { reconnection: true, reconnectionDelay: 100 });
    /** seq → post id: the client's view, deduplicated by seq. */
    const applied = new Map<number, string>();
    let received = 0;
    let lastSeq = 0;
    let lastCursor: string | undefined;
    const connections: string[] = [];
    const answers: SubscribeOk[] = [];
    const problems: string[] = [];
    const apply = (event: PostEvent | ReplayedEvent): void => {
      received++;
      if (applied.has(event.seq)) return;
      applied.set(event.seq, 'post' in event ? event.post.id : event.id);
      if (event.seq > lastSeq) {
        lastSeq = event.seq;
        lastCursor = event.cursor;
      }
    };
    socket.on('connect', () => {
      connections.push(socket.id ?? '');
      subscribe(socket, { channel: 'top', since: lastCursor }).then(
        (answer) => {
          if (!answer.ok) {
            problems.push(JSON.stringify(answer));
            return;
          }
          answers.push(answer);
          if (answer.recovered) for (const event of answer.events ?? []) apply(event);
          else lastCursor ??= answer.cursor;
        },
        (err: unknown) => problems.push(String(err)),
      );
    });
    socket.on('post:new', apply);
    await eventually(() => (answers.length === 1 ? true : undefined));
    assert.ok(
      a.logs.some((l) => l.event === 'socket.connected' && l.socketId === connections[0]),
      'the balancer should have sent the first connection to A',
    );

    const total = 40;
    const posted: string[] = [];
    const posting = (async () => {
      for (let n = 0; n < total; n++) {
        posted.push(
          ...acceptedOf(await postArticles(b.url, article('failover', n))).map((x) => x.id),
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await eventually(() => (applied.size >= 10 ? true : undefined), 10_000);
    assert.equal(await terminate(a), 0);
    await posting;
    await eventually(() => (applied.size >= total && socket.connected ? true : undefined), 15_000);

    console.log(
      `      failover: ${connections.length} connections, ${answers.length} subscribe answers, ` +
        `${received - applied.size} duplicate receipts dropped`,
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(
      [...applied.keys()].sort((x, y) => x - y),
      range(1, total),
    );
    assert.deepEqual(sorted([...applied.values()]), sorted(posted));
    assert.ok(connections.length >= 2, `the client should have reconnected: ${connections.length}`);
    assert.ok(
      answers.slice(1).every((answer) => answer.recovered),
      'every resubscribe should resume from the cursor',
    );
    const current = connections.at(-1);
    assert.ok(
      b.logs.some((l) => l.event === 'socket.connected' && l.socketId === current),
      'the client should end up connected to B',
    );
  });

  it('keeps sockets connected through a Redis SIGKILL and AOF restart; a POST is accepted and delivered within 15 s', async () => {
    ownDir = mkdtempSync(join(tmpdir(), 'khabar-aof-'));
    // A SIGKILL keeps what Redis has written, and only `always` writes before every reply.
    ownRedis = await startTestRedis({ appendOnly: true, fsyncAlways: true, dir: ownDir });
    const port = ownRedis.port;
    cluster = startCluster({ redisUrl: ownRedis.url });
    const server = await cluster.startServer();
    await cluster.startWorker();

    const socket = await cluster.connect(server.url);
    const disconnects: string[] = [];
    socket.on('disconnect', (reason) => disconnects.push(reason));
    ok(await subscribe(socket, { channel: 'top' }));
    const before = nextEvent(socket, 'post:new');
    acceptedOf(await postArticles(server.url, article('aof', 0)));
    const { cursor } = await before;
    assert.match(cursor, /-1$/);

    await ownRedis.kill();
    ownRedis = await startTestRedis({ appendOnly: true, fsyncAlways: true, port, dir: ownDir });
    const restartedAt = Date.now();
    const arrivals = new Map<string, { at: number; event: PostEvent }>();
    socket.on('post:new', (event) => arrivals.set(event.post.id, { at: Date.now(), event }));

    const accepted = await postUntilAccepted(server.url, article('aof', 1), 20_000);
    const delivered = await eventually(() => arrivals.get(accepted.id), 20_000);
    const toAccepted = accepted.at - restartedAt;
    const toDelivered = delivered.at - restartedAt;
    console.log(
      `      Redis restart -> POST 202: ${toAccepted} ms; -> post:new delivered: ${toDelivered} ms`,
    );
    assert.ok(toAccepted < 15_000, `202 after ${toAccepted} ms`);
    assert.ok(toDelivered < 15_000, `delivered after ${toDelivered} ms`);
    assert.deepEqual(disconnects, []);
    assert.ok(socket.connected);
    // The AOF kept the history: same epoch, next seq.
    assert.equal(delivered.event.cursor, `${epochOf(cursor)}-2`);
  });

  it('loses and duplicates nothing when a worker is SIGKILLed mid-job and a new one takes over', async () => {
    const redisUrl = sharedRedis().url;
    cluster = startCluster({
      redisUrl,
      env: { WORKER_LOCK_MS: '2000', RECENT_LIMIT: '1000', WORKER_CONCURRENCY: '4' },
    });
    const server = await cluster.startServer();
    const socket = await cluster.connect(server.url);
    ok(await subscribe(socket, { channel: 'top' }));
    const created = recordNew(socket);
    const updated: PostEvent[] = [];
    socket.on('post:updated', (event) => updated.push(event));

    // Twenty jobs of ten articles (a batch is one job): a worker killed mid-batch has stored
    // part of one, which the next worker stores again whole.
    const posted: string[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const articles = range(batch * 10, batch * 10 + 9).map((n) => article('kill', n));
      posted.push(...acceptedOf(await postArticles(server.url, { articles })).map((x) => x.id));
    }
    assert.equal(new Set(posted).size, 200);

    const first = await cluster.startWorker();
    const completedBy = (run: typeof first): number =>
      run.logs.filter((l) => l.event === 'job.completed').length;
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (completedBy(first) < 5) return;
        first.child.stdout?.off('data', check);
        first.child.kill('SIGKILL');
        resolve();
      };
      first.child.stdout?.on('data', check);
      check();
    });
    assert.equal(await kill(first), 'SIGKILL');
    const doneBeforeKill = completedBy(first);
    const activeIds = new Set(
      first.logs.filter((l) => l.event === 'job.active').map((l) => l.jobId),
    );
    for (const l of first.logs) if (l.event === 'job.completed') activeIds.delete(l.jobId);
    assert.ok(doneBeforeKill < 20, 'the worker should have been killed while still busy');

    const second = await cluster.startWorker();
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const queue = createIngestQueue(redis, createKeys(cluster.keyPrefix));
    try {
      // Batch jobs leave the queue once done (BATCH_JOB_OPTIONS): done is an empty queue.
      const counts = await eventually(async () => {
        const c = await queue.getJobCounts('wait', 'active', 'delayed', 'failed');
        const busy = (c.wait ?? 0) + (c.active ?? 0) + (c.delayed ?? 0);
        return busy === 0 || c.failed ? c : undefined;
      }, 15_000);
      assert.deepEqual(counts, { wait: 0, active: 0, delayed: 0, failed: 0 });
    } finally {
      await queue.close();
      redis.disconnect();
    }
    console.log(
      `      worker killed after ${doneBeforeKill} completed jobs with ${activeIds.size} in hand; ` +
        `the new one logged ${second.logs.filter((l) => l.event === 'job.stalled').length} stalled`,
    );

    await within(
      () => (new Set(created.map((e) => e.post.id)).size >= 200 ? true : undefined),
      5000,
      () => explainDelivery([created], cluster!),
    );
    const pages: PostsAnswer[] = [];
    let query = '/api/posts?channel=top&limit=100';
    for (;;) {
      const page = (await getJson(server.url, query)).body as PostsAnswer;
      pages.push(page);
      const last = page.posts.at(-1);
      if (!last) break;
      query = `/api/posts?channel=top&limit=100&before=${encodeURIComponent(last.publishedAt)}`;
    }
    assert.ok(pages[0]?.cursor.endsWith('-200'), `cursor ${pages[0]?.cursor}`);
    const listed = pages.flatMap((p) => p.posts.map((post) => post.id));
    assert.equal(listed.length, 200);
    assert.deepEqual(sorted(listed), sorted(posted));

    assert.equal(created.length, 200);
    assert.deepEqual(sorted(created.map((e) => e.post.id)), sorted(posted));
    assert.deepEqual(
      created.map((e) => e.seq),
      range(1, 200),
    );
    assert.deepEqual(updated, []);
  });
});
