import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { startRedisProcess, type RedisProcess } from '../../server/launch/redis-process.js';
import { parseHopBuckets, type HopBuckets } from './hops.js';
import { BENCH_CHANNEL, benchArticle } from './payload.js';
import { cpuMicrosOf, pin, PINNING, startChild, type Child } from './proc.js';

/**
 * The systems a scenario compares, behind one face: start, publish article(s) `n…`, read
 * the fan-out process's CPU time and memory, stop. Every server process runs on the server
 * core; Khabar's Redis and worker process share it, so the generator's core stays its own.
 */

export type SystemName = 'B0' | 'B1' | 'B2' | 'B3' | 'Khabar';

export interface System {
  readonly name: SystemName;
  /** How the generator's clients talk to it. */
  readonly mode: 'net' | 'ws' | 'sio' | 'sse';
  /** What each client subscribes to after connecting (Khabar only). */
  readonly subscribe?: Record<string, unknown>;
  readonly url: string;
  /** Publishes articles n … n + count − 1 together; resolves when the system has taken them. */
  publish(n: number, count: number): Promise<void>;
  /** CPU time of the process that fans out (µs, user + system). */
  cpuMicros(): Promise<number>;
  memory(): Promise<NodeJS.MemoryUsage>;
  /** Khabar only: its hop histogram, read around a window (outside its CPU reading). */
  hopBuckets?(): Promise<HopBuckets>;
  stop(): Promise<void>;
}

const script = (name: string): URL => new URL(name, import.meta.url);
/**
 * The processes under test may collect garbage on request, for memory readings. With
 * KHABAR_BENCH_PROFILE=<dir>, Khabar's server and worker processes also write CPU profiles there
 * (--cpu-prof).
 */
const EXEC_ARGV = ['--expose-gc'];
const profileDir = process.env.KHABAR_BENCH_PROFILE;
const KHABAR_EXEC_ARGV = profileDir
  ? [...EXEC_ARGV, '--cpu-prof', `--cpu-prof-dir=${profileDir}`]
  : EXEC_ARGV;

async function memoryOf(child: Child): Promise<NodeJS.MemoryUsage> {
  return (await child.ask<{ memory: NodeJS.MemoryUsage }>({ type: 'mem' })).memory;
}

export async function startBaseline(
  name: 'B0' | 'B1' | 'B2',
  run: string,
  env: Record<string, string> = {},
): Promise<System> {
  const { child, hello } = await startChild(
    script('servers/baselines.js'),
    [name.toLowerCase(), run],
    PINNING.serverCore,
    env,
    EXEC_ARGV,
  );
  const port = hello.port as number;
  return {
    name,
    mode: name === 'B0' ? 'net' : name === 'B1' ? 'ws' : 'sio',
    url: name === 'B0' ? `tcp://127.0.0.1:${port}` : `ws://127.0.0.1:${port}/`,
    async publish(n, count) {
      await child.ask({ type: 'broadcast', n, count });
    },
    cpuMicros: () => cpuMicrosOf(child),
    memory: () => memoryOf(child),
    stop: () => child.stop(),
  };
}

/**
 * B3, the floor of SPEC §7's path (servers/queue-floor.ts): its server and its worker, both on
 * the server core as Khabar's are, on the run's Redis. Posts go over HTTP, as Khabar's do.
 */
export async function startQueueFloor(redisUrl: string, run: string): Promise<System> {
  const start = (role: 'server' | 'worker'): ReturnType<typeof startChild> =>
    startChild(
      script('servers/queue-floor.js'),
      [role, redisUrl, run],
      PINNING.serverCore,
      {},
      EXEC_ARGV,
    );
  const [server, worker] = await Promise.all([start('server'), start('worker')]);
  const port = server.hello.port as number;
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 64 });
  return {
    name: 'B3',
    mode: 'ws',
    url: `ws://127.0.0.1:${port}/`,
    async publish(n, count) {
      const articles = Array.from({ length: count }, (_, i) => benchArticle(n + i, run));
      await postArticles(pool, count === 1 ? articles[0] : { articles });
    },
    cpuMicros: () => cpuMicrosOf(server.child),
    memory: () => memoryOf(server.child),
    async stop() {
      await pool.close();
      await Promise.all([server.child.stop(), worker.child.stop()]);
    },
  };
}

/** The Redis of a benchmark run: private, on a free port, on the server core, AOF as in production. */
export async function startBenchRedis(): Promise<{ redis: RedisProcess; client: Redis }> {
  const dir = mkdtempSync(join(tmpdir(), 'khabar-bench-redis-'));
  const server = await startRedisProcess({ dir, appendOnly: true });
  const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
  const info = await client.info('server');
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  if (pid) pin(pid, PINNING.serverCore);
  return {
    client,
    redis: {
      ...server,
      async stop() {
        client.disconnect();
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    },
  };
}

export const BENCH_TOKEN = 'bench-ingest-token-0123456789abcdef';

/**
 * POSTs `body` to `/api/articles` through `pool` (undici's request API, not fetch: fetch
 * costs the generator's core ~1.8 ms a request here); throws unless the answer is 202.
 */
export async function postArticles(pool: Pool, body: unknown, token?: string): Promise<void> {
  const response = await pool.request({
    path: '/api/articles',
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
  await response.body.arrayBuffer();
  if (response.statusCode !== 202)
    throw new Error(`POST /api/articles answered ${response.statusCode}`);
}

export interface KhabarSystem extends System {
  /** Where clients connect: one URL per server node (`url` is the first). */
  readonly urls: readonly string[];
  /** The worker process's CPU time (µs). */
  workerCpuMicros(): Promise<number>;
  /** The first node's hop histogram now (see hops.ts). */
  hopBuckets(): Promise<HopBuckets>;
  readonly keyPrefix: string;
}

/**
 * Khabar as production runs it: `servers` server nodes (one process each) and one worker
 * process on one Redis. `cpuMicros` is every server node's together (they all fan out);
 * `memory` is the first node's, which is the only one unless the scenario asks for more.
 * POSTs go to the nodes in turn, as a load balancer would send them.
 */
export async function startKhabar(
  redisUrl: string,
  run: string,
  env: Record<string, string> = {},
  servers = 1,
): Promise<KhabarSystem> {
  const keyPrefix = `bench${run.replace(/[^a-z0-9]/gi, '')}`;
  const config = {
    NODE_ENV: 'production',
    REDIS_URL: redisUrl,
    KEY_PREFIX: keyPrefix,
    INGEST_TOKENS: BENCH_TOKEN,
    NEWSROOM_TOKENS: `${BENCH_TOKEN}-newsroom`,
    INGEST_RATE_LIMIT: '0',
    LOG_LEVEL: 'warn',
    ...env,
  };
  const start = (role: 'server' | 'workers'): ReturnType<typeof startChild> =>
    startChild(
      script('servers/khabar-node.js'),
      [role],
      PINNING.serverCore,
      config,
      KHABAR_EXEC_ARGV,
    );
  const [workers, ...nodes] = await Promise.all([
    start('workers'),
    ...Array.from({ length: servers }, () => start('server')),
  ]);
  const [first] = nodes;
  if (!first) throw new Error('startKhabar: no server node');
  const ports = nodes.map((node) => node.hello.port as number);
  const pools = ports.map((port) => new Pool(`http://127.0.0.1:${port}`, { connections: 64 }));
  const urls = ports.map((port) => `ws://127.0.0.1:${port}/`);
  let posts = 0;
  return {
    name: 'Khabar',
    mode: 'sio',
    subscribe: { channel: BENCH_CHANNEL, limit: 1 },
    url: urls[0] as string,
    urls,
    keyPrefix,
    async publish(n, count) {
      const articles = Array.from({ length: count }, (_, i) => benchArticle(n + i, run));
      const pool = pools[posts++ % pools.length] as Pool;
      await postArticles(pool, count === 1 ? articles[0] : { articles }, BENCH_TOKEN);
    },
    async cpuMicros() {
      const each = await Promise.all(nodes.map((node) => cpuMicrosOf(node.child)));
      return each.reduce((a, b) => a + b, 0);
    },
    workerCpuMicros: () => cpuMicrosOf(workers.child),
    async hopBuckets() {
      const response = await (pools[0] as Pool).request({ path: '/metrics', method: 'GET' });
      return parseHopBuckets(await response.body.text());
    },
    memory: () => memoryOf(first.child),
    async stop() {
      await Promise.all(pools.map((pool) => pool.close()));
      await Promise.all([...nodes, workers].map(({ child }) => child.stop()));
    },
  };
}
