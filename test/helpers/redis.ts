import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisProcess, type RedisProcess } from '../../server/launch/redis-process.js';

/**
 * A throwaway redis-server on a free port, with its files in a temp folder removed on stop.
 * `fsyncAlways` makes every acknowledged write reach the disk before its reply: with Redis's
 * default (`appendfsync everysec`) a write may wait up to 2 s for a slow background fsync and
 * be lost to a SIGKILL meanwhile, as it happened once on a busy CI machine.
 */
export async function startTestRedis(
  options: { appendOnly?: boolean; fsyncAlways?: boolean; port?: number; dir?: string } = {},
): Promise<RedisProcess> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'khabar-redis-'));
  const server = await startRedisProcess({
    dir,
    appendOnly: options.appendOnly ?? false,
    port: options.port,
    extraArgs: options.fsyncAlways ? ['--appendfsync', 'always'] : [],
  });
  return {
    ...server,
    async stop() {
      await server.stop();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

let shared: RedisProcess | undefined;

/** The suite's Redis, started once by the root hooks; tests isolate themselves by key prefix. */
export function sharedRedis(): RedisProcess {
  if (!shared) throw new Error('the shared test Redis is not running (root hooks not loaded?)');
  return shared;
}

export function sharedRedisIfRunning(): RedisProcess | undefined {
  return shared;
}

export function setSharedRedis(server: RedisProcess | undefined): void {
  shared = server;
}

/** Every key under `prefix`, with its type, for "nothing changed" assertions. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found.sort();
}
