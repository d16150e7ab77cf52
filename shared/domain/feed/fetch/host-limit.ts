/**
 * At most N requests in flight per publisher host, in this process: polling many feeds of one
 * site must not hammer it. Tasks beyond the limit wait in FIFO order.
 */

export interface HostLimiter {
  /** The most tasks run at once for one host. */
  readonly perHost: number;
  /**
   * Runs `task` once fewer than `perHost` tasks run for `host` (case-insensitive), and settles like
   * it. While it waits, an abort of `signal` takes it out of the queue and rejects with the
   * signal's reason; a task that has started is not affected by the signal.
   */
  run<T>(host: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Tasks running now for `host`. */
  active(host: string): number;
  /** Tasks waiting for `host`. */
  waiting(host: string): number;
}

interface HostState {
  active: number;
  /** Each entry starts one waiting task; the slot is handed over, `active` does not change. */
  readonly queue: (() => void)[];
}

export function createHostLimiter(perHost = 2): HostLimiter {
  if (!Number.isInteger(perHost) || perHost < 1) {
    throw new RangeError(`perHost must be a whole number of at least 1, not ${String(perHost)}`);
  }
  const hosts = new Map<string, HostState>();

  async function acquire(key: string, signal: AbortSignal | undefined): Promise<HostState> {
    signal?.throwIfAborted();
    let state = hosts.get(key);
    if (!state) {
      state = { active: 0, queue: [] };
      hosts.set(key, state);
    }
    if (state.active < perHost) {
      state.active++;
      return state;
    }
    const waitingIn = state;
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const at = waitingIn.queue.indexOf(start);
        if (at !== -1) waitingIn.queue.splice(at, 1);
        reject(signal?.reason as Error);
      };
      const start = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      waitingIn.queue.push(start);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    return waitingIn;
  }

  function release(key: string, state: HostState): void {
    const next = state.queue.shift();
    if (next) {
      next();
      return;
    }
    state.active--;
    if (state.active === 0) hosts.delete(key);
  }

  return {
    perHost,
    async run<T>(host: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      const key = host.toLowerCase();
      const state = await acquire(key, signal);
      try {
        return await task();
      } finally {
        release(key, state);
      }
    },
    active: (host) => hosts.get(host.toLowerCase())?.active ?? 0,
    waiting: (host) => hosts.get(host.toLowerCase())?.queue.length ?? 0,
  };
}
