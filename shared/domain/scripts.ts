import type { RedisClient } from '../infra/redis.js';
import { defineLuaCommand, readLuaScript, type LuaCall } from '../infra/lua.js';

/**
 * Khabar's Lua scripts: one file each under `lua/` (shared parts under `lua/includes/`), with
 * its KEYS, ARGV and output documented on top. The types below follow those headers.
 *
 * The build copies the files next to the compiled module (`npm run build:lua`), and they are
 * read when this module loads: a missing file stops the process at startup.
 */

/** KEYS and ARGV of each script, in the order of its file's header. */
export interface ScriptSignatures {
  upsertPost: {
    keys: [
      post: string,
      events: string,
      channels: string,
      lineage: string,
      ...perChannelThenTrimmed: string[],
    ];
    args: [
      expectedHash: string,
      newHash: string,
      acceptedAt: number,
      postJson: string,
      publishedAtMs: number,
      channelsCsv: string,
      recentLimit: number,
      historyLimit: number,
      epochCandidate: string,
      eventsMax: number,
      nowMs: number,
      id: string,
      ...channelAndType: string[],
    ];
  };
  removePost: {
    keys: [
      post: string,
      events: string,
      channels: string,
      lineage: string,
      ...perChannel: string[],
    ];
    args: [
      expectedChannelsCsv: string,
      historyLimit: number,
      epochCandidate: string,
      eventsMax: number,
      nowMs: number,
      id: string,
      tombstoneMs: number,
      ...channels: string[],
    ];
  };
  prunePost: {
    keys: [post: string, trimmed: string, ...recent: string[]];
    args: [channelsCsv: string, id: string];
  };
  snapshot: {
    keys: [recent: string, seq: string, epoch: string, ...candidatePosts: string[]];
    args: [limit: number, maxScore: string, ...candidateIds: string[]];
  };
  saveSourceState: {
    keys: [source: string];
    args: [stateJson: string];
  };
  saveSourcePush: {
    keys: [source: string];
    args: [changeJson: string, expectedSubscription: string];
  };
  reconcileChannel: {
    keys: [
      recent: string,
      events: string,
      channels: string,
      lineage: string,
      ...channelThenCandidatePosts: string[],
    ];
    args: [
      epochCandidate: string,
      historyLimit: number,
      eventsMax: number,
      nowMs: number,
      channel: string,
      ...candidateIds: string[],
    ];
  };
  masterLineage: {
    keys: [lineage: string];
    args: [];
  };
}

export type ScriptName = keyof ScriptSignatures;

export type Scripts = {
  [N in ScriptName]: LuaCall<ScriptSignatures[N]['keys'], ScriptSignatures[N]['args']>;
};

/** Where the scripts live, next to this module in the source tree and in dist/. */
export const LUA_DIR = new URL('./lua/', import.meta.url);

interface ScriptFile {
  /** Under {@link LUA_DIR}. */
  file: string;
  /** The command's name on a connection. */
  command: string;
  /** When fixed; otherwise each call says how many of its arguments are KEYS. */
  numberOfKeys?: number;
}

export const SCRIPT_FILES: Readonly<Record<ScriptName, ScriptFile>> = {
  upsertPost: { file: 'upsert-post.lua', command: 'khabarUpsertPost' },
  removePost: { file: 'remove-post.lua', command: 'khabarRemovePost' },
  prunePost: { file: 'prune-post.lua', command: 'khabarPrunePost' },
  snapshot: { file: 'snapshot.lua', command: 'khabarSnapshot' },
  saveSourceState: {
    file: 'save-source-state.lua',
    command: 'khabarSaveSourceState',
    numberOfKeys: 1,
  },
  saveSourcePush: {
    file: 'save-source-push.lua',
    command: 'khabarSaveSourcePush',
    numberOfKeys: 1,
  },
  reconcileChannel: { file: 'reconcile-channel.lua', command: 'khabarReconcileChannel' },
  masterLineage: { file: 'master-lineage.lua', command: 'khabarMasterLineage', numberOfKeys: 1 },
};

const names = Object.keys(SCRIPT_FILES) as ScriptName[];

const sources = new Map(
  names.map((name) => [name, readLuaScript(new URL(SCRIPT_FILES[name].file, LUA_DIR))]),
);

/** The text sent to Redis for `name`, its includes resolved. */
export function scriptSource(name: ScriptName): string {
  const source = sources.get(name);
  if (source === undefined) throw new Error(`no Lua script ${name}`);
  return source;
}

const byConnection = new WeakMap<RedisClient, Scripts>();

/**
 * The scripts as commands of `redis` (defined on the connection the first time), each taking its
 * KEYS and ARGV.
 */
export function scriptsOn(redis: RedisClient): Scripts {
  let scripts = byConnection.get(redis);
  if (!scripts) {
    const define = <N extends ScriptName>(name: N): Scripts[N] =>
      defineLuaCommand<ScriptSignatures[N]['keys'], ScriptSignatures[N]['args']>(redis, {
        name: SCRIPT_FILES[name].command,
        lua: scriptSource(name),
        numberOfKeys: SCRIPT_FILES[name].numberOfKeys,
      });
    scripts = {
      upsertPost: define('upsertPost'),
      removePost: define('removePost'),
      prunePost: define('prunePost'),
      snapshot: define('snapshot'),
      saveSourceState: define('saveSourceState'),
      saveSourcePush: define('saveSourcePush'),
      reconcileChannel: define('reconcileChannel'),
      masterLineage: define('masterLineage'),
    };
    byConnection.set(redis, scripts);
  }
  return scripts;
}
