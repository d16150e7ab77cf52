import type { MasterLineage } from '../../shared/domain/channel-log.js';

/**
 * A server node's eye on one Redis master: at each check it reads the master's replication id
 * and, when it changed (a failover promoted a replica, or the master restarted),
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

export interface MasterWatch {
  /** Reads the master's lineage once; runs `onChange` if it changed since the last read. */
  check(): Promise<void>;
}

export interface MasterWatchOptions {
  /** Reads the master's lineage through the connection whose writes matter. */
  read: () => Promise<MasterLineage>;
  onChange: (change: MasterChange) => Promise<void>;
  now?: () => number;
}

/** The watch of one connection; its owner decides when to check (server/failover.ts). */
export function createMasterWatch({
  read,
  onChange,
  now = Date.now,
}: MasterWatchOptions): MasterWatch {
  let known: MasterLineage | undefined;
  let lastAnswerAt = 0;
  return {
    async check() {
      const lineage = await read();
      const at = now();
      if (known && known.replid !== lineage.replid) {
        await onChange({ lineage, unreachableMs: at - lastAnswerAt });
      }
      known = lineage;
      lastAnswerAt = at;
    },
  };
}
