import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A built Khabar program (`server/main.js`, `workers/main.js`, …) as a child process. */
export interface KhabarProcess {
  child: ChildProcess;
  /** Parsed JSON log lines from stdout, as they arrive. */
  logs: Record<string, unknown>[];
  stderr: () => string;
  /** Resolves with the first log line whose `event` is `event`. */
  waitForLog(event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

export function builtProgram(relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}

export function startProcess(relative: string, env: Record<string, string>): KhabarProcess {
  const child = spawn(process.execPath, [builtProgram(relative)], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters: { event: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    logs.push(line);
    for (const waiter of waiters.filter((w) => w.event === line.event)) waiter.resolve(line);
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return {
    child,
    logs,
    stderr: () => stderr,
    exited,
    waitForLog(event, timeoutMs = 10_000) {
      const seen = logs.find((l) => l.event === event);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no ${event} log within ${timeoutMs} ms; stderr: ${stderr}`));
        }, timeoutMs);
        waiters.push({
          event,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
  };
}
