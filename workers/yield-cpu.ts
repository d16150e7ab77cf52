import { readdirSync } from 'node:fs';
import { constants, getPriority, setPriority } from 'node:os';

/**
 * The worker process's CPU priority: below the server's. Where both share a host (`npm start`,
 * a small deployment, the bench's one core), a POST's answer and a fan-out's writes wait for
 * whatever else is running; a worker's job can wait a few milliseconds more without anyone
 * seeing it. With the worker at nice 10, the API's accept p99 at half capacity went from 46 to
 * 24 ms on the bench's shared core (`npm run bench -- --only ingest --rounds 1`); where a
 * worker has its host to itself, its priority changes nothing. Only ever lowered: a process
 * started nicer than this (an operator's `nice`, systemd's `Nice=`) keeps its own.
 */
export const WORKER_NICENESS = constants.priority.PRIORITY_BELOW_NORMAL;

/**
 * The process's threads. On Linux a niceness belongs to a thread, and `setPriority(0, …)` sets
 * only the calling one's; the threads Node started before (V8's garbage collector and
 * compiler helpers, libuv's pool) keep theirs. Elsewhere the priority is the process's own.
 */
function threadIds(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    return [0];
  }
}

/**
 * Lowers every thread of this process to WORKER_NICENESS (threads started later inherit it from
 * the main thread); returns the main thread's niceness.
 */
export function yieldCpuToServers(): number {
  try {
    // The main thread first: if this is refused, the others are left as they are too.
    if (getPriority() < WORKER_NICENESS) setPriority(WORKER_NICENESS);
    for (const thread of threadIds()) {
      try {
        if (getPriority(thread) < WORKER_NICENESS) setPriority(thread, WORKER_NICENESS);
      } catch {
        // A thread that ended since the listing.
      }
    }
    return getPriority();
  } catch {
    // Not allowed here (a sandbox without setpriority): the worker runs as it was started.
    return Number.NaN;
  }
}
