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

/** Lowers this process's priority to WORKER_NICENESS; returns the niceness it runs at. */
export function yieldCpuToServers(): number {
  try {
    if (getPriority() < WORKER_NICENESS) setPriority(WORKER_NICENESS);
    return getPriority();
  } catch {
    // Not allowed here (a sandbox without setpriority): the worker runs as it was started.
    return Number.NaN;
  }
}
