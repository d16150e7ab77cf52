import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { findOnPath } from '../../server/launch/redis-process.js';

/**
 * Processes of a benchmark run: each system under test and the load generator run as child
 * processes, pinned to cores of their own with `taskset` when it is there, and driven over
 * Node's IPC channel with request/answer messages.
 */

const taskset = findOnPath('taskset');
const cores = (() => {
  try {
    return readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((line) => /^cpu\d+ /.test(line)).length;
  } catch {
    return 0;
  }
})();

/** Where the systems run, and where the generator runs: different cores when there are two. */
export const PINNING = {
  available: taskset !== null && cores >= 2,
  serverCore: 0,
  generatorCore: cores >= 2 ? cores - 1 : 0,
};

/** Pins a running process (and its threads) to one core; false when it cannot. */
export function pin(pid: number, core: number): boolean {
  if (!PINNING.available || !taskset) return false;
  try {
    execFileSync(taskset, ['-a', '-pc', String(core), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface Child {
  process: ChildProcess;
  /** Sends a message and resolves with the child's answer to it. */
  ask<T>(message: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `node <script> …args` on `core`, with an IPC channel. Resolves once the child says
 * `{ ready: true, … }` (that first message is returned as `hello`).
 */
export async function startChild(
  script: URL,
  args: string[],
  core: number,
  env: Record<string, string> = {},
  execArgv: string[] = [],
): Promise<{ child: Child; hello: Record<string, unknown> }> {
  const command = [process.execPath, ...execArgv, script.pathname, ...args];
  // Through taskset, the process and every thread it starts are on `core` from the first instruction.
  const [file, ...argv] =
    PINNING.available && taskset ? [taskset, '-c', String(core), ...command] : command;
  const proc = spawn(file as string, argv, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  let nextId = 0;
  const waiting = new Map<number, { resolve: (v: never) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      resolve();
    }),
  );
  const hello = new Promise<Record<string, unknown>>((resolve, reject) => {
    proc.once('exit', (code) => {
      reject(new Error(`${script.pathname} exited with ${code ?? 'a signal'} before it was ready`));
    });
    proc.on('message', (raw) => {
      const message = raw as { id?: number; ready?: boolean; error?: string };
      if (message.ready) {
        resolve(message);
        return;
      }
      const entry = message.id === undefined ? undefined : waiting.get(message.id);
      if (!entry || message.id === undefined) return;
      waiting.delete(message.id);
      if (message.error) entry.reject(new Error(message.error));
      else entry.resolve(message as never);
    });
  });
  void exited.then(() => {
    for (const entry of waiting.values()) entry.reject(new Error(`${script.pathname} exited`));
    waiting.clear();
  });
  const child: Child = {
    process: proc,
    ask<T>(message: Record<string, unknown>, timeoutMs = 120_000) {
      const id = ++nextId;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`no answer to ${String(message.type)} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, {
          resolve: (value: never) => {
            clearTimeout(timer);
            resolve(value);
          },
          reject: (err) => {
            clearTimeout(timer);
            reject(err);
          },
        });
        proc.send({ ...message, id });
      });
    },
    async stop(graceMs = 5000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  return { child, hello: await hello };
}

/**
 * The child side: answers the parent's requests with `handle`, then says it is ready. Every
 * child also answers `cpu` (its CPU time) and `mem` (its memory, after a GC when the process
 * runs with --expose-gc).
 */
export function serveParent(
  handle: (message: Record<string, unknown> & { type: string }) => unknown,
  hello: Record<string, unknown> = {},
): void {
  const answer = (message: Record<string, unknown> & { type: string }): unknown => {
    if (message.type === 'cpu') return { cpu: process.cpuUsage() };
    if (message.type === 'mem') {
      globalThis.gc?.();
      return { memory: process.memoryUsage() };
    }
    return handle(message);
  };
  process.on('message', (raw) => {
    const message = raw as Record<string, unknown> & { type: string; id: number };
    Promise.resolve()
      .then(() => answer(message))
      .then(
        (answer) => process.send?.({ ...(answer as object), id: message.id }),
        (err: unknown) =>
          process.send?.({ id: message.id, error: err instanceof Error ? err.stack : String(err) }),
      );
  });
  process.on('SIGTERM', () => process.exit(0));
  process.send?.({ ...hello, ready: true });
}

/** Busy and total jiffies of one core, from /proc/stat (undefined off Linux). */
export function coreTimes(core: number): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`cpu${core} `));
    if (!line) return undefined;
    const [, ...fields] = line.trim().split(/\s+/);
    const numbers = fields.map(Number);
    const idle = (numbers[3] ?? 0) + (numbers[4] ?? 0); // idle + iowait
    const total = numbers.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** How busy a core was between two readings (0–1). */
export function coreBusy(
  before: ReturnType<typeof coreTimes>,
  after: ReturnType<typeof coreTimes>,
): number | undefined {
  if (!before || !after || after.total === before.total) return undefined;
  return (after.busy - before.busy) / (after.total - before.total);
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** A child's CPU time so far (µs, user + system), which serveParent answers. */
export async function cpuMicrosOf(child: Child): Promise<number> {
  const { cpu } = await child.ask<{ cpu: NodeJS.CpuUsage }>({ type: 'cpu' });
  return cpu.user + cpu.system;
}

/**
 * The Socket.IO heartbeat of the systems under test (B2 and Khabar alike), from the
 * controller. Each client's heartbeat comes every 25 s from its connection, so 10k clients
 * connected within 4 s make a wave of 10k pings every 25 s: about 0.7 s of the server's CPU,
 * which lands in some measurement windows and not in others. The fan-out runs with the
 * heartbeat pushed past its windows; the storm and idle scenarios keep engine.io's default.
 */
export const HEARTBEAT_ENV = 'KHABAR_BENCH_HEARTBEAT_MS';

export function heartbeatFromEnv(): { heartbeatIntervalMs?: number } {
  const ms = Number(process.env[HEARTBEAT_ENV]);
  return Number.isFinite(ms) && ms > 0 ? { heartbeatIntervalMs: ms } : {};
}
