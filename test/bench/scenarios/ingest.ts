import { Queue } from 'bullmq';
import { connectClients } from '../connect-clients.js';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { createKeys } from '../../../shared/domain/keys.js';
import { BENCH_CHANNEL, benchArticle, benchEvent } from '../payload.js';
import { cpuMicrosOf, PINNING, sleep, startChild, type Child } from '../proc.js';
import { summarize } from '../stats.js';
import { postArticles, startKhabar } from '../systems.js';
import { redisCpuMicros } from '../redis-stats.js';

/**
 * `ingest`: articles per second through the whole pipeline, against baselines on the same
 * Redis, each pushing the same number of items with the same number in flight:
 * - a raw Redis pipeline of the writes Khabar's script makes for a new post (the post hash,
 *   the recent list and its trim, the seq, the channel log, the fan-out stream);
 * - BullMQ with a no-op processor: `queue.add` of the same article, consumed by a worker
 *   process on the server core with Khabar's concurrency;
 * - the same, fed through an Express endpoint on the server core that only queues what it
 *   is POSTed: the floor of an HTTP ingest API over BullMQ, the single-article target's anchor;
 * - Khabar: POST /api/articles → queued → stored by the worker → pushed, the end being the
 *   subscriber's receipt. The target: ≥ 0.8× the Express → BullMQ floor.
 * Then Khabar open loop at half its own closed-loop rate: accept latency (the POST's answer)
 * and whether every accepted article was pushed; the Express → BullMQ floor runs after Khabar,
 * so that its own open loop can run at the same rate.
 * Then batches of BATCH articles, as a feed poll or a newsroom import sends them:
 * - BullMQ `addBulk` of BATCH jobs at a time from the controller, into the same no-op consumer;
 * - Khabar: POSTs of `{ articles: [BATCH articles] }` (the API's most; ~100 KB, under its
 *   1 MiB body limit), until the subscriber has every one. The target: ≥ 0.5× addBulk.
 *
 * Every process under test shares the server core, so the rates come down to CPU time per
 * item on that core: it is read for each process (`cpuUsage()`, Redis's INFO cpu) over the
 * closed loop, to say where Khabar's time goes.
 *
 * Every system is started fresh and warmed before it is timed: `warmup` items of the same loop
 * (half as many articles for batches), untimed. Cold, each ran at under half its warm rate for
 * its first ~1,000 items and reached it after ~2,000 (V8 compiling its hot paths; the worker
 * and BullMQ's consumer alike), so a timed loop of 1,500 from a fresh process measured mostly
 * how much code a system has to compile. 1,500 items of warm-up get most of the way; more would
 * not fit the quick run's ten minutes.
 */
/** CPU time per item on the server core (µs), by process. */
export type CpuPerItem = Record<string, number>;

/** Articles per request (or `addBulk` call) in the batch phase: the API's most. */
export const BATCH = 100;

export interface IngestResult {
  items: number;
  inFlight: number;
  /** Untimed items each system ran first (batches: half as many articles). */
  warmup: number;
  /** The batch phase: `items` articles in requests of `size`, `inFlight` requests at once. */
  batch: { size: number; items: number; inFlight: number };
  redisPerSecond: number;
  bullmqPerSecond: number;
  khabarPerSecond: number;
  /** Express → BullMQ no-op: articles POSTed to an endpoint that only queues them. */
  expressBullmqPerSecond: number;
  /** BullMQ no-op: `consumer`, `redis`; over Express, `server` too. Khabar: `server`, `worker`, `redis`. */
  bullmqCpuUs: CpuPerItem;
  expressBullmqCpuUs: CpuPerItem;
  khabarCpuUs: CpuPerItem;
  /** BullMQ `addBulk` of `batch.size` jobs, into the no-op consumer. */
  bulkPerSecond: number;
  bulkCpuUs: CpuPerItem;
  /** Khabar, POSTs of `batch.size` articles, until the subscriber has all. */
  khabarBatchPerSecond: number;
  khabarBatchCpuUs: CpuPerItem;
  /** Khabar open loop at half its own closed-loop single-article rate. */
  halfRate: {
    rate: number;
    accepted: number;
    pushed: number;
    acceptP50Ms: number;
    acceptP99Ms: number;
    /** The Express → BullMQ floor's accept p99 in the same open loop, at the same rate. */
    floorAcceptP99Ms: number;
  };
}

/** Runs `work(i)` for i < items with at most `inFlight` at once; resolves when all are done. */
async function closedLoop(
  items: number,
  inFlight: number,
  work: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: inFlight }, async () => {
    while (next < items) await work(next++);
  });
  await Promise.all(lanes);
}

/**
 * Sends `count` items at `rate` a second on a fixed schedule, whatever the answers do (open
 * loop: a slow answer does not slow the sending), and resolves with each one's time to answer
 * (ms), in order.
 */
async function openLoop(
  rate: number,
  count: number,
  send: (i: number) => Promise<unknown>,
): Promise<number[]> {
  const answerMs: number[] = [];
  const t0 = performance.now();
  const sending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 1) await sleep(wait);
    const sent = performance.now();
    sending.push(send(i).then(() => void (answerMs[i] = performance.now() - sent)));
  }
  await Promise.all(sending);
  return answerMs;
}

/** The open loop's length: two seconds of it. */
const openLoopCount = (rate: number): number => Math.round(rate * 2);

/** CPU per item of each named reading, between `before` and `after`. */
function perItem(
  before: Record<string, number>,
  after: Record<string, number>,
  items: number,
): CpuPerItem {
  return Object.fromEntries(
    Object.entries(after).map(([name, micros]) => [name, (micros - (before[name] ?? 0)) / items]),
  );
}

async function redisPipelineRate(
  url: string,
  run: string,
  items: number,
  inFlight: number,
): Promise<number> {
  const redis = new Redis(url);
  // Khabar's own key names, under a prefix of this baseline's.
  const keys = createKeys(`bench${run}raw`);
  const started = process.hrtime.bigint();
  await closedLoop(items, inFlight, (i) => {
    const body = JSON.stringify(benchEvent(i, run, new Date()).post);
    return redis
      .pipeline()
      .hset(
        keys.post(String(i)),
        'data',
        body,
        'hash',
        `h${i}`,
        'acceptedAt',
        Date.now(),
        'channels',
        BENCH_CHANNEL,
      )
      .zadd(keys.recent(BENCH_CHANNEL), Date.now(), `p${i}`)
      .zremrangebyrank(keys.recent(BENCH_CHANNEL), 0, -101)
      .incr(keys.seq(BENCH_CHANNEL))
      .xadd(
        keys.log(BENCH_CHANNEL),
        'MAXLEN',
        '1000',
        `${i + 1}-0`,
        't',
        'post:new',
        'i',
        `p${i}`,
        'p',
        body,
      )
      .xadd(
        keys.events,
        'MAXLEN',
        '~',
        '10000',
        '*',
        'c',
        BENCH_CHANNEL,
        't',
        'post:new',
        'p',
        body,
      )
      .exec();
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  redis.disconnect();
  return items / seconds;
}

/**
 * BullMQ with the no-op consumer on the server core. The producer is the controller calling
 * `queue.add` (on the generator's core), or `queue.addBulk` of BATCH jobs (`inFlight` then
 * counts calls), or, for `express`, an Express endpoint on the server core that the
 * controller POSTs each article to, as it does to Khabar.
 */
async function bullmqRate(
  url: string,
  run: string,
  items: number,
  inFlight: number,
  producer: 'controller' | 'bulk' | 'express',
  warmup: number,
  /** After the closed loop, an open loop at this rate: each item's time to answer. */
  openLoopRate?: number,
): Promise<{ perSecond: number; cpuUs: CpuPerItem; openLoopMs?: number[] }> {
  const prefix = createKeys(`bench${run}${producer}`).queuePrefix;
  const args = [url, 'ingest', prefix];
  const { child: consumer } = await startChild(
    new URL('../servers/bullmq-noop.js', import.meta.url),
    args,
    PINNING.serverCore,
  );
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const closing: (() => Promise<unknown>)[] = [() => consumer.stop()];
  try {
    let add: (i: number) => Promise<unknown>;
    let server: Child | undefined;
    if (producer === 'express') {
      const started = await startChild(
        new URL('../servers/express-queue.js', import.meta.url),
        args,
        PINNING.serverCore,
      );
      server = started.child;
      closing.push(() => started.child.stop());
      const pool = new Pool(`http://127.0.0.1:${started.hello.port as number}`, {
        connections: inFlight,
      });
      closing.push(() => pool.close());
      add = (i) => postArticles(pool, benchArticle(i, run));
    } else {
      // The controller is the producer: `queue.add` of one article, or `addBulk` of BATCH.
      const queue = new Queue('ingest', {
        connection,
        prefix,
        defaultJobOptions: { removeOnComplete: { age: 3600, count: 10_000 } },
      });
      closing.push(() => queue.close());
      const job = (n: number) => ({
        name: 'article',
        data: { article: benchArticle(n, run), acceptedAt: Date.now(), source: 'api' },
      });
      add =
        producer === 'bulk'
          ? (b) => queue.addBulk(Array.from({ length: BATCH }, (_, i) => job(b * BATCH + i)))
          : (i) => {
              const { name, data } = job(i);
              return queue.add(name, data);
            };
    }
    const cpu = async (): Promise<Record<string, number>> => ({
      ...(server ? { server: await cpuMicrosOf(server) } : {}),
      consumer: await cpuMicrosOf(consumer),
      redis: await redisCpuMicros(connection),
    });
    // A call adds one job, or BATCH of them; the consumer counts jobs.
    const calls = (jobs: number): number => (producer === 'bulk' ? Math.ceil(jobs / BATCH) : jobs);
    const consumed = async (jobs: number): Promise<number> => {
      for (;;) {
        const done = await consumer.ask<{ completed: number; lastAtNs: number }>({ type: 'count' });
        if (done.completed >= jobs) return done.lastAtNs;
        await sleep(20);
      }
    };
    const warmCalls = calls(producer === 'bulk' ? warmup / 2 : warmup);
    const warmJobs = producer === 'bulk' ? warmCalls * BATCH : warmCalls;
    await closedLoop(warmCalls, inFlight, add);
    await consumed(warmJobs);
    const before = await cpu();
    const started = Number(process.hrtime.bigint());
    await closedLoop(calls(items), inFlight, (i) => add(warmCalls + i));
    const lastAtNs = await consumed(warmJobs + items);
    const cpuUs = perItem(before, await cpu(), items);
    const perSecond = items / ((lastAtNs - started) / 1e9);
    if (openLoopRate === undefined) return { perSecond, cpuUs };
    const openLoopMs = await openLoop(openLoopRate, openLoopCount(openLoopRate), (i) =>
      add(warmCalls + items + i),
    );
    return { perSecond, cpuUs, openLoopMs };
  } finally {
    for (const close of closing.reverse()) await close();
    connection.disconnect();
  }
}

export async function runIngest(
  redisUrl: string,
  run: string,
  generator: Child,
  items = 1500,
  inFlight = 64,
  batch = { size: BATCH, items: 3000, inFlight: 4 },
  warmup = 1500,
): Promise<IngestResult> {
  const redisPerSecond = await redisPipelineRate(redisUrl, run, items, inFlight);
  const bullmq = await bullmqRate(redisUrl, run, items, inFlight, 'controller', warmup);
  const bullmqPerSecond = bullmq.perSecond;
  const bulk = await bullmqRate(
    redisUrl,
    `${run}bulk`,
    batch.items,
    batch.inFlight,
    'bulk',
    warmup,
  );
  const khabar = await khabarIngest(redisUrl, run, generator, items, inFlight, batch, warmup);
  // The floor after Khabar: its open loop runs at the rate Khabar's ran at, for comparison.
  const overHttp = await bullmqRate(
    redisUrl,
    run,
    items,
    inFlight,
    'express',
    warmup,
    khabar.halfRate.rate,
  );
  const floorAccept = summarize(overHttp.openLoopMs ?? []);
  return {
    ...khabar,
    items,
    inFlight,
    warmup,
    batch,
    bulkPerSecond: bulk.perSecond,
    bulkCpuUs: bulk.cpuUs,
    redisPerSecond,
    bullmqPerSecond,
    bullmqCpuUs: bullmq.cpuUs,
    expressBullmqPerSecond: overHttp.perSecond,
    expressBullmqCpuUs: overHttp.cpuUs,
    halfRate: { ...khabar.halfRate, floorAcceptP99Ms: floorAccept.p99 },
  };
}

/** Khabar's part: single articles closed loop, then open loop at half that rate, then batches. */
async function khabarIngest(
  redisUrl: string,
  run: string,
  generator: Child,
  items: number,
  inFlight: number,
  batch: IngestResult['batch'],
  warmup: number,
): Promise<
  Pick<
    IngestResult,
    'khabarPerSecond' | 'khabarCpuUs' | 'khabarBatchPerSecond' | 'khabarBatchCpuUs'
  > & {
    halfRate: Omit<IngestResult['halfRate'], 'floorAcceptP99Ms'>;
  }
> {
  const khabar = await startKhabar(redisUrl, `${run}ingest`);
  const redis = new Redis(redisUrl);
  const cpu = async (): Promise<Record<string, number>> => ({
    server: await khabar.cpuMicros(),
    worker: await khabar.workerCpuMicros(),
    redis: await redisCpuMicros(redis),
  });
  /**
   * Articles `firstN` … `firstN + count − 1`, sent by `send`, through the whole pipeline: from
   * the first POST to the subscriber's receipt of the last, and the CPU they cost every process.
   */
  const through = async (
    what: string,
    firstN: number,
    count: number,
    send: () => Promise<void>,
  ): Promise<{ perSecond: number; cpuUs: CpuPerItem }> => {
    await generator.ask({ type: 'expect', firstN, count, t0Ns: 0, periodNs: 0 });
    const before = await cpu();
    const started = Number(process.hrtime.bigint());
    await send();
    const got = await generator.ask<{ received: number; lastAtNs: number }>({
      type: 'collect',
      timeoutMs: 120_000,
    });
    const cpuUs = perItem(before, await cpu(), count);
    if (got.received !== count) throw new Error(`${what}: ${got.received}/${count} pushed`);
    return { perSecond: count / ((got.lastAtNs - started) / 1e9), cpuUs };
  };
  const batches = (firstN: number, posts: number) => () =>
    closedLoop(posts, batch.inFlight, (p) => khabar.publish(firstN + p * batch.size, batch.size));
  try {
    await connectClients(generator, khabar, 1, 'ingest');
    let n = 1;
    // Warm, untimed: single articles, then batches.
    await through('ingest warm-up', n, warmup, () =>
      closedLoop(warmup, inFlight, () => khabar.publish(n++, 1)),
    );
    const warmPosts = Math.ceil(warmup / 2 / batch.size);
    await through('ingest warm-up batches', n, warmPosts * batch.size, batches(n, warmPosts));
    n += warmPosts * batch.size;

    const single = await through('ingest', n, items, () =>
      closedLoop(items, inFlight, () => khabar.publish(n++, 1)),
    );
    const khabarPerSecond = single.perSecond;

    // Open loop at half Khabar's own rate: accept latency, and nothing lost.
    const rate = khabarPerSecond / 2;
    const count = openLoopCount(rate);
    const firstN = n;
    await generator.ask({ type: 'expect', firstN, count, t0Ns: 0, periodNs: 0 });
    const accept = summarize(await openLoop(rate, count, (i) => khabar.publish(firstN + i, 1)));
    const pushed = await generator.ask<{ received: number }>({
      type: 'collect',
      timeoutMs: 60_000,
    });

    // Batches: the same pipeline, BATCH articles a POST, until the subscriber has every one.
    const batchFirst = n + count;
    const posts = Math.ceil(batch.items / batch.size);
    const batched = await through(
      'ingest batches',
      batchFirst,
      posts * batch.size,
      batches(batchFirst, posts),
    );
    return {
      khabarBatchPerSecond: batched.perSecond,
      khabarBatchCpuUs: batched.cpuUs,
      khabarPerSecond,
      khabarCpuUs: single.cpuUs,
      halfRate: {
        rate,
        accepted: count,
        pushed: pushed.received,
        acceptP50Ms: accept.p50,
        acceptP99Ms: accept.p99,
      },
    };
  } finally {
    redis.disconnect();
    await generator.ask({ type: 'close' });
    await khabar.stop();
  }
}
