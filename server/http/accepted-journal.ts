import { articlesOf, type IngestJobData } from '../../shared/domain/ingest-queue.js';

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
  /** At most this many articles, whatever the rate (a batch job counts each): memory stays bounded. */
  max?: number;
  now?: () => number;
}

export function createAcceptedJournal({
  keepMs = 60_000,
  max = 10_000,
  now = Date.now,
}: AcceptedJournalOptions = {}): AcceptedJournal {
  let entries: { at: number; job: IngestJobData; articles: number }[] = [];
  let articles = 0;

  function forgetOld(at: number): void {
    let keepFrom = 0;
    let kept = articles;
    for (const entry of entries) {
      if (entry.at > at - keepMs && kept <= max) break;
      kept -= entry.articles;
      keepFrom++;
    }
    if (keepFrom > 0) {
      entries = entries.slice(keepFrom);
      articles = kept;
    }
  }

  return {
    record(jobs) {
      const at = now();
      for (const job of jobs) {
        const count = articlesOf(job).length;
        entries.push({ at, job, articles: count });
        articles += count;
      }
      // Amortised: trimming on every call would copy the array per request.
      if (articles > max * 1.5 || (entries[0]?.at ?? at) <= at - 2 * keepMs) forgetOld(at);
    },
    recent() {
      forgetOld(now());
      return entries.map((entry) => entry.job);
    },
  };
}
