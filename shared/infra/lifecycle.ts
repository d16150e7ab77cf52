import type { Logger } from 'pino';

/**
 * Ordered, idempotent, time-boxed shutdown. The hard deadline is armed before the first
 * step runs, so a step that hangs cannot keep the process alive past it (SPEC §7.6); a
 * step that fails is logged and the next one still runs.
 */
export interface Lifecycle {
  /** Adds a step; steps run in the order they were added. */
  onShutdown(name: string, step: () => Promise<unknown> | undefined): void;
  /** Runs every step once; later calls return the same promise. */
  shutdown(reason: string): Promise<void>;
  /** SIGTERM and SIGINT shut down, then exit 0 (1 if the deadline passed). */
  exitOnSignals(): void;
}

export interface LifecycleOptions {
  logger: Logger;
  /** The whole shutdown must end within this (default 9 s, inside SPEC's 10 s). */
  deadlineMs?: number;
  exit?: (code: number) => void;
}

export function createLifecycle({
  logger,
  deadlineMs = 9000,
  exit = (code) => process.exit(code),
}: LifecycleOptions): Lifecycle {
  const steps: { name: string; step: () => Promise<unknown> | undefined }[] = [];
  let running: Promise<void> | undefined;

  const run = async (reason: string): Promise<void> => {
    logger.info({ event: 'process.stopping', reason }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ event: 'process.shutdown_timeout', deadlineMs }, 'shutdown took too long');
      exit(1);
    }, deadlineMs);
    deadline.unref();
    for (const { name, step } of steps) {
      try {
        await step();
      } catch (err) {
        logger.warn(
          { event: 'process.shutdown_step_failed', step: name, err },
          'shutdown step failed',
        );
      }
    }
    clearTimeout(deadline);
    logger.info({ event: 'process.stopped', reason }, 'stopped');
  };

  const lifecycle: Lifecycle = {
    onShutdown(name, step) {
      steps.push({ name, step });
    },
    shutdown(reason) {
      running ??= run(reason);
      return running;
    },
    exitOnSignals() {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => {
          void lifecycle.shutdown(signal).then(() => {
            exit(0);
          });
        });
      }
    },
  };
  return lifecycle;
}
