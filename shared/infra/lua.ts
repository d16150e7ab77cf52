import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script run by its SHA (EVALSHA), loaded on first use or after Redis forgot it. */
export interface LuaScript {
  run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

export function defineScript(source: string): LuaScript {
  const sha = createHash('sha1').update(source).digest('hex');
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (err) {
        // A restarted Redis (or SCRIPT FLUSH) forgets scripts; EVAL loads it again.
        if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
          return redis.eval(source, keys.length, ...keys, ...args);
        }
        throw err;
      }
    },
  };
}
