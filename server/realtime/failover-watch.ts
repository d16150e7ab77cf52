import type { Logger } from 'pino';
import type { MasterLineage } from '../../shared/domain/channel-log.js';
import { runPeriodically } from '../../shared/infra/periodic.js';

/**
 * A server node's eye on one Redis master: it reads the master's replication id every
 * `intervalMs` and, when it changes (a failover promoted a replica, or the master restarted),
 * runs `onChange`. Redis replicates asynchronously, so a failover can take away what this node
 * already did on the old master; `onChange` puts it right (see server/app.ts: the channels the
 * node caches are reconciled, the articles it accepted lately are queued again). If `onChange`
 * fails, the change counts as not seen and the next check runs it again.
 */
export interface MasterChange {
  lineage: MasterLineage;
  /** From the last answer of the old master to the first of the new one (within an interval). */
  unreachableMs: number;
}

export interface FailoverWatch {
  start(): void;
  stop(): void;
}

export interface FailoverWatchOptions {
  /** Reads the master's lineage through the connection whose writes matter. */
  read: () => Promise<MasterLineage>;
  onChange: (change: MasterChange) => Promise<void>;
  logger: Logger;
  intervalMs?: number;
  now?: () => number;
}

export function createFailoverWatch(options: FailoverWatchOptions): FailoverWatch {
  const { read, onChange, logger, intervalMs = 500, now = Date.now } = options;
  let known: MasterLineage | undefined;
  let lastAnswerAt = 0;
  let stop: (() => void) | undefined;

  async function check(): Promise<void> {
    const lineage = await read();
    const at = now();
    if (known && known.replid !== lineage.replid) {
      await onChange({ lineage, unreachableMs: at - lastAnswerAt });
    }
    known = lineage;
    lastAnswerAt = at;
  }

  return {
    start() {
      stop ??= runPeriodically(
        check,
        intervalMs,
        (err: unknown) => {
          // Redis away: the health tracker says so once; the next answer ends the wait.
          logger.debug({ event: 'failover_watch.failed', err }, 'could not read the master');
        },
        { immediately: true },
      );
    },
    stop() {
      stop?.();
      stop = undefined;
    },
  };
}
