import { Redis } from 'ioredis';
import { io as connectClient, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import { createKeys } from '../../shared/domain/keys.js';
import { answer, TEST_TOKEN, uniquePrefix, type FeedSocket, type HttpAnswer } from './khabar.js';
import { startProcess, type KhabarProcess } from './processes.js';
import { keysUnder } from './redis.js';

/** A server process and where it listens. */
export interface ServerProcess extends KhabarProcess {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
}

export interface ClusterOptions {
  redisUrl: string;
  /** Default: a fresh {@link uniquePrefix}. */
  keyPrefix?: string;
  /** Extra environment for every process (RECENT_LIMIT, WORKER_LOCK_MS, …). */
  env?: Record<string, string>;
}

/** Server and worker processes of one Khabar (one Redis, one key prefix), and its test clients. */
export interface Cluster {
  keyPrefix: string;
  /** The environment every process gets. */
  env: Record<string, string>;
  /** Every server and worker process started so far, alive or not. */
  servers: ServerProcess[];
  workers: KhabarProcess[];
  /** Starts `server/main.js` on a free port and waits for `server.listening`. */
  startServer(env?: Record<string, string>): Promise<ServerProcess>;
  /** Starts `workers/main.js` and waits for `workers.started`. */
  startWorker(env?: Record<string, string>): Promise<KhabarProcess>;
  /**
   * A socket.io client (websocket only, no reconnection unless asked), not yet connected: add
   * listeners, then wait for `connect`. Disconnected by {@link close}.
   */
  open(url: string, options?: Partial<ManagerOptions & SocketOptions>): FeedSocket;
  /** {@link open}, then waits for the connection. */
  connect(url: string, options?: Partial<ManagerOptions & SocketOptions>): Promise<FeedSocket>;
  /**
   * Kills every process still alive (SIGKILL) and waits for it, disconnects every client,
   * and removes the prefix's keys when `cleanKeys` (the Redis must still be up).
   */
  close(options?: { cleanKeys?: boolean }): Promise<void>;
}

export function isAlive(run: KhabarProcess): boolean {
  return run.child.exitCode === null && run.child.signalCode === null;
}

/** SIGTERM (graceful: drains and exits 0) and waits for the exit; resolves with its code. */
export async function terminate(run: KhabarProcess): Promise<number | string> {
  if (isAlive(run)) run.child.kill('SIGTERM');
  return run.exited;
}

/** SIGKILL (sudden death) and waits for the exit. */
export async function kill(run: KhabarProcess): Promise<number | string> {
  if (isAlive(run)) run.child.kill('SIGKILL');
  return run.exited;
}

export function startCluster(options: ClusterOptions): Cluster {
  const keyPrefix = options.keyPrefix ?? uniquePrefix();
  const env: Record<string, string> = {
    REDIS_URL: options.redisUrl,
    KEY_PREFIX: keyPrefix,
    INGEST_TOKENS: TEST_TOKEN,
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    ...options.env,
  };
  const servers: ServerProcess[] = [];
  const workers: KhabarProcess[] = [];
  const sockets: FeedSocket[] = [];
  /** Every child, from the moment it is spawned, for {@link Cluster.close}. */
  const children: KhabarProcess[] = [];
  const spawn = (program: string, extra: Record<string, string>): KhabarProcess => {
    const run = startProcess(program, { ...env, ...extra });
    children.push(run);
    return run;
  };

  function open(url: string, socketOptions: Partial<ManagerOptions & SocketOptions> = {}) {
    const socket: FeedSocket = connectClient(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      ...socketOptions,
    });
    sockets.push(socket);
    return socket;
  }

  return {
    keyPrefix,
    env,
    servers,
    workers,

    async startServer(extra = {}) {
      const run = spawn('server/main.js', { PORT: '0', ...extra });
      const listening = await run.waitForLog('server.listening', 15_000);
      const port = Number(listening.port);
      const server: ServerProcess = Object.assign(run, { port, url: `http://127.0.0.1:${port}` });
      servers.push(server);
      return server;
    },

    async startWorker(extra = {}) {
      const run = spawn('workers/main.js', extra);
      workers.push(run);
      await run.waitForLog('workers.started', 15_000);
      return run;
    },

    open,

    async connect(url, socketOptions = {}) {
      const socket = open(url, socketOptions);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      return socket;
    },

    async close({ cleanKeys = false } = {}) {
      for (const socket of sockets) socket.disconnect();
      await Promise.all(children.map(kill));
      if (!cleanKeys) return;
      const redis = new Redis(options.redisUrl, {
        maxRetriesPerRequest: 1,
        retryStrategy: () => null,
        connectTimeout: 1000,
      });
      redis.on('error', () => undefined);
      try {
        const leftovers = await keysUnder(redis, createKeys(keyPrefix).all);
        if (leftovers.length) await redis.del(...leftovers);
      } catch {
        // Redis is gone: nothing to clean.
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** POSTs one article or `{ articles: [...] }` to a node's /api/articles with the test token. */
export async function postArticles(baseUrl: string, body: unknown): Promise<HttpAnswer> {
  return answer(
    await fetch(`${baseUrl}/api/articles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}

/** GETs a path of a node (no token: the read API is public). */
export async function getJson(baseUrl: string, path: string): Promise<HttpAnswer> {
  return answer(await fetch(`${baseUrl}${path}`));
}

/** The post ids and job ids of a 202 answer. */
export function acceptedOf(reply: HttpAnswer): { id: string; jobId: string }[] {
  if (reply.status !== 202) {
    throw new Error(`expected 202, got ${reply.status}: ${JSON.stringify(reply.body)}`);
  }
  return (reply.body as { accepted: { id: string; jobId: string }[] }).accepted;
}
