import { randomBytes } from 'node:crypto';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { loadConfig, type Config } from '../../shared/infra/config.js';
import { createKeys, type Keys } from '../../shared/domain/keys.js';
import { createLogger } from '../../shared/infra/logger.js';
import type {
  PublicClientEvents,
  PublicServerEvents,
  SubscribeAnswer,
  SubscribeRequest,
} from '../../shared/contract/protocol.js';
import type { ServerTimings } from '../../server/app.js';
import { createServerNode, type ServerNode } from '../../server/node.js';
import { createWorkerNode, type WorkerNode } from '../../workers/node.js';
import type { RedisProcess } from '../../server/launch/redis-process.js';
import { keysUnder, sharedRedis, startTestRedis } from './redis.js';

export type FeedSocket = ClientSocket<PublicServerEvents, PublicClientEvents>;
export type LogLine = Record<string, unknown> & { event?: string; level: number; msg?: string };

export const TEST_TOKEN = 'test-ingest-token-0123456789';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
}

export interface TestKhabar {
  url: string;
  config: Config;
  keys: Keys;
  /** A plain connection for assertions and setup. */
  redis: Redis;
  node: ServerNode;
  workers?: WorkerNode;
  logs: LogLine[];
  /** POSTs JSON to /api/articles with the test token (override with `token: null` or another). */
  postArticles(
    body: unknown,
    init?: { token?: string | null; contentType?: string; raw?: string },
  ): Promise<HttpAnswer>;
  request(
    method: string,
    path: string,
    init?: { token?: string | null; body?: string; contentType?: string },
  ): Promise<HttpAnswer>;
  connect(options?: { transports?: ('websocket' | 'polling')[] }): Promise<FeedSocket>;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  redisUrl?: string;
  /** The port to listen on (default: any free one); see {@link freePort}. */
  port?: number;
  /** Run an in-process BullMQ worker (default true). */
  workers?: boolean;
  /** Shorter periods than production's, for tests that wait on presence or dashboards. */
  timings?: ServerTimings;
}

let instances = 0;

export function uniquePrefix(): string {
  return `t${++instances}${randomBytes(3).toString('hex')}`;
}

/** Captures pino's JSON lines in memory, so tests can assert on logs. */
export function captureLogs(lines: LogLine[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
}

/** A fetch Response as status, headers and parsed JSON (or text). */
export async function answer(response: Response): Promise<HttpAnswer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

/** A real Khabar (HTTP + Socket.IO on a free port, and a BullMQ worker) on its own key prefix. */
export async function startKhabar(options: StartOptions = {}): Promise<TestKhabar> {
  const redisUrl = options.redisUrl ?? sharedRedis().url;
  const config = loadConfig({
    NODE_ENV: 'test',
    REDIS_URL: redisUrl,
    KEY_PREFIX: uniquePrefix(),
    INGEST_TOKENS: TEST_TOKEN,
    LOG_LEVEL: 'debug',
    PORT: '0',
    ...options.env,
  });
  const logs: LogLine[] = [];
  const logger = createLogger({
    level: config.logLevel,
    role: 'test',
    destination: captureLogs(logs),
  });
  const node = createServerNode(config, logger, options.timings);
  const port = await node.listen(options.port ?? 0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const workers = options.workers === false ? undefined : createWorkerNode(config, logger);
  workers?.run();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const sockets: FeedSocket[] = [];

  const request: TestKhabar['request'] = async (method, path, init = {}) => {
    const headers: Record<string, string> = {};
    const token = init.token === undefined ? TEST_TOKEN : init.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
    return answer(await fetch(`${url}${path}`, { method, headers, body: init.body }));
  };

  return {
    url,
    config,
    keys: createKeys(config.keyPrefix),
    redis,
    node,
    workers,
    logs,
    request,
    postArticles(body, init = {}) {
      return request('POST', '/api/articles', {
        token: init.token,
        contentType: init.contentType,
        body: init.raw ?? JSON.stringify(body),
      });
    },
    async connect(connectOptions = {}) {
      const socket: FeedSocket = connectClient(url, {
        transports: connectOptions.transports ?? ['websocket'],
        forceNew: true,
        reconnection: false,
      });
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      return socket;
    },
    async close() {
      for (const socket of sockets) socket.disconnect();
      await workers?.close(1000);
      await node.close();
      const leftovers = await keysUnder(redis, createKeys(config.keyPrefix).all).catch(() => []);
      if (leftovers.length) await redis.del(...leftovers).catch(() => 0);
      redis.disconnect();
    },
  };
}

/**
 * A port free on loopback now, for a server whose own URL must be in its configuration before it
 * listens (PUBLIC_URL).
 */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function subscribe(socket: FeedSocket, request: SubscribeRequest): Promise<SubscribeAnswer> {
  return socket.timeout(5000).emitWithAck('subscribe', request);
}

/** The next `event` on `socket` that satisfies `accept`, or a rejection after `timeoutMs`. */
export function nextEvent<E extends keyof PublicServerEvents>(
  socket: FeedSocket,
  event: E,
  accept: (payload: Parameters<PublicServerEvents[E]>[0]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<Parameters<PublicServerEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener as never);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: Parameters<PublicServerEvents[E]>[0]): void => {
      if (!accept(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener as never);
      resolve(payload);
    };
    socket.on(event, listener as never);
  });
}

/** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** {@link eventually}, with `explain()` (what was seen instead) added to a timeout's message. */
export async function within<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  explain: () => string,
): Promise<T> {
  try {
    return await eventually(check, timeoutMs);
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}: ${explain()}`, {
      cause: err,
    });
  }
}

/** A Khabar on a Redis of its own, for tests that stop or kill Redis. */
export async function startKhabarWithOwnRedis(
  options: Omit<StartOptions, 'redisUrl'> & { appendOnly?: boolean } = {},
): Promise<{ khabar: TestKhabar; redis: RedisProcess }> {
  const redis = await startTestRedis({ appendOnly: options.appendOnly });
  return { khabar: await startKhabar({ ...options, redisUrl: redis.url }), redis };
}
