import type { IngestJobData } from '../../shared/domain/ingest-queue.js';

/**
 * The articles this node answered 202 for lately, kept in memory until no failover can still
 * take them away. `WAIT` makes a job reach a replica before the 202, but not necessarily the
 * replica that gets promoted: during a graceful Sentinel failover the old master goes on taking
 * writes, acknowledged by a replica that then resynchronises from the new master and drops
 * them. So when the queue's connection finds itself on another master, the node queues these
 * jobs again. That is safe because storing is idempotent: a job whose article is stored already
 * finds it unchanged (or newer) and does nothing.
 */
export interface AcceptedJournal {
  record(jobs: readonly IngestJobData[]): void;
  /** The jobs accepted within the window, oldest first. */
  recent(): IngestJobData[];
}

export interface AcceptedJournalOptions {
  /** How long a job is kept: longer than a failover takes to be noticed (seconds). */
  keepMs?: number;
  /** At most this many jobs, whatever the rate: memory stays bounded. */
  max?: number;
  now?: () => number;
}

export function createAcceptedJournal({
  keepMs = 60_000,
  max = 10_000,
  now = Date.now,
}: AcceptedJournalOptions = {}): AcceptedJournal {
  let entries: { at: number; job: IngestJobData }[] = [];

  function forgetOld(at: number): void {
    const first = entries.findIndex((entry) => entry.at > at - keepMs);
    const keepFrom = Math.max(first === -1 ? entries.length : first, entries.length - max);
    if (keepFrom > 0) entries = entries.slice(keepFrom);
  }

  return {
    record(jobs) {
      const at = now();
      for (const job of jobs) entries.push({ at, job });
      // Amortised: trimming on every call would copy the array per request.
      if (entries.length > max * 1.5 || (entries[0]?.at ?? at) <= at - 2 * keepMs) forgetOld(at);
    },
    recent() {
      forgetOld(now());
      return entries.map((entry) => entry.job);
    },
  };
}
