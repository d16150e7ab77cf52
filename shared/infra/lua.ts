import { readFileSync } from 'node:fs';
import type { RedisClient } from './redis.js';

/**
 * The text of a Lua script file, each `--- @include "path"` line replaced by the file it names
 * (relative to the including file, `.lua` implied), as BullMQ's script loader does. A file is
 * included once per script however many files include it; a cycle is an error. Read
 * synchronously: scripts are read at startup, so a missing file stops the process before it serves.
 */
export function readLuaScript(file: URL): string {
  const included = new Set<string>([file.href]);
  const expand = (url: URL, chain: readonly string[]): string =>
    readFileSync(url, 'utf8').replace(/^--- @include "([^"]+)"[ \t]*$/gm, (_line, path: string) => {
      const target = new URL(path.endsWith('.lua') ? path : `${path}.lua`, url);
      if (chain.includes(target.href)) {
        throw new Error(`Lua include cycle: ${[...chain, target.href].join(' → ')}`);
      }
      if (included.has(target.href)) return '';
      included.add(target.href);
      return expand(target, [...chain, target.href]);
    });
  return expand(file, [file.href]);
}

/** A Lua script to define as a named command on a connection. */
export interface LuaCommand {
  /** The command's name on the connection (ioredis `defineCommand`). */
  name: string;
  lua: string;
  /** How many KEYS it takes when that is fixed; otherwise the caller's keys say. */
  numberOfKeys?: number;
}

/** Runs a defined command with its KEYS and ARGV; the reply is the caller's to check. */
export type LuaCall<K extends readonly string[], A extends readonly (string | number)[]> = (
  keys: K,
  args: A,
) => Promise<unknown>;

type Variadic = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Defines `command` on `redis` (once per connection) and returns a call of it. ioredis sends
 * EVALSHA, and EVAL the first time on each socket or when Redis answers NOSCRIPT (a restarted
 * Redis, SCRIPT FLUSH), so the script is loaded wherever it runs.
 */
export function defineLuaCommand<
  K extends readonly string[],
  A extends readonly (string | number)[],
>(redis: RedisClient, command: LuaCommand): LuaCall<K, A> {
  const { name, lua, numberOfKeys } = command;
  const defined = redis as unknown as Partial<Record<string, Variadic>>;
  if (typeof defined[name] !== 'function') {
    redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
  }
  const run = defined[name];
  if (typeof run !== 'function') throw new Error(`ioredis did not define the command ${name}`);
  return async (keys, args) => {
    if (numberOfKeys === undefined) return run.call(redis, keys.length, ...keys, ...args);
    if (keys.length !== numberOfKeys) {
      throw new Error(`${name} takes ${numberOfKeys} keys, not ${keys.length}`);
    }
    return run.call(redis, ...keys, ...args);
  };
}
