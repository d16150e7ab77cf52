import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { Redis } from 'ioredis';

/**
 * A `redis-server` child process: the private Redis of `npm start` when none is running,
 * and the real Redis of the test suite (started on a free port, stopped and restarted).
 */
export interface RedisProcess {
  url: string;
  port: number;
  dir: string;
  /** SHUTDOWN-like stop (SIGTERM: Redis writes its append-only file and exits). */
  stop(): Promise<void>;
  /** Sudden death, for fault tests. */
  kill(): Promise<void>;
}

export interface RedisProcessOptions {
  dir: string;
  /** Append-only file on, so data survives a restart. */
  appendOnly: boolean;
  /** A fixed port (to restart on the same one); default: a free one. */
  port?: number;
  binary?: string;
  /** More `--name value` arguments, after Khabar's (a replica's `--replicaof`, cluster mode…). */
  extraArgs?: readonly string[];
}

/** The first executable `name` on PATH, or null. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => {
        resolvePort(port);
      });
    });
  });
}

/** True when a Redis answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 500): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) =>
    child.once('exit', () => {
      done();
    }),
  );
}

export async function startRedisProcess({
  dir,
  appendOnly,
  port,
  binary = 'redis-server',
  extraArgs = [],
}: RedisProcessOptions): Promise<RedisProcess> {
  const absoluteDir = resolve(dir);
  mkdirSync(absoluteDir, { recursive: true });
  const chosenPort = port ?? (await freePort());
  const child = spawn(
    binary,
    [
      '--port',
      String(chosenPort),
      '--bind',
      '127.0.0.1',
      '--dir',
      absoluteDir,
      '--appendonly',
      appendOnly ? 'yes' : 'no',
      '--save',
      '',
      // BullMQ and the channel logs must never be evicted to make room.
      '--maxmemory-policy',
      'noeviction',
      '--logfile',
      join(absoluteDir, 'redis.log'),
      ...extraArgs,
    ],
    { stdio: 'ignore' },
  );
  const spawnFailed = new Promise<never>((_ok, reject) => child.once('error', reject));
  const url = `redis://127.0.0.1:${chosenPort}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(
        `redis-server exited with code ${child.exitCode}; see ${join(absoluteDir, 'redis.log')}`,
      );
    if (await Promise.race([redisAnswers(url, 300), spawnFailed])) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on port ${chosenPort} within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port: chosenPort,
    dir: absoluteDir,
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}
