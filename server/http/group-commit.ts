import { ARTICLE_LIMITS } from '../../shared/domain/article/limits.js';
import type { NormalizedArticle } from '../../shared/domain/article/normalize.js';
import {
  addIngestJob,
  type IngestJobData,
  type IngestQueue,
  type IngestQueueJob,
} from '../../shared/domain/ingest-queue.js';

/**
 * Group commit for single-article POSTs. Most producers send one article a request, and each
 * job costs BullMQ the same whatever it holds: adding, taking, locking and completing it were
 * 156 of the 248 µs of Redis time a one-article job took (BENCHMARKS.md, "Ingest"). So while
 * one add is on its way to Redis, the articles accepted meanwhile wait and then go in one job,
 * a batch that keeps each article's own accepted time; once that add returns, each POST of the
 * group gets its 202 with the group's job id. A producer sending one article at a time finds no
 * add in flight, so its article goes alone and at once: grouping never waits for company, it
 * only takes what is already waiting. A 202 still means the article is in Redis (SPEC §7).
 */
export interface GroupCommit {
  /** Queues one accepted article; resolves with the job that holds it once the job is in Redis. */
  add(article: NormalizedArticle, acceptedAt: number): Promise<IngestQueueJob>;
}

export interface GroupCommitOptions {
  /** Who queued the articles (the jobs' `source`). */
  source: string;
  /** The most articles one job holds, as a batch POST may (a full group is sent at once). */
  maxArticles?: number;
}

interface Waiting {
  article: NormalizedArticle;
  acceptedAt: number;
  resolve: (job: IngestQueueJob) => void;
  reject: (err: unknown) => void;
}

/** The job data of a group: a lone article stays an article job, as without grouping. */
function groupData(group: readonly Waiting[], source: string): IngestJobData {
  const [first, ...rest] = group;
  if (!first) throw new Error('groupData: an empty group');
  if (rest.length === 0) return { article: first.article, acceptedAt: first.acceptedAt, source };
  return {
    articles: group.map((w) => w.article),
    acceptedAt: first.acceptedAt,
    acceptedAts: group.map((w) => w.acceptedAt),
    source,
  };
}

export function createGroupCommit(
  queue: IngestQueue,
  { source, maxArticles = ARTICLE_LIMITS.batch }: GroupCommitOptions,
): GroupCommit {
  let waiting: Waiting[] = [];
  let adding = 0;

  function send(): void {
    const group = waiting;
    waiting = [];
    adding++;
    addIngestJob(queue, groupData(group, source))
      .then(
        (job) => {
          for (const w of group) w.resolve(job);
        },
        (err: unknown) => {
          for (const w of group) w.reject(err);
        },
      )
      .finally(() => {
        adding--;
        if (adding === 0 && waiting.length > 0) send();
      });
  }

  return {
    add(article, acceptedAt) {
      return new Promise((resolve, reject) => {
        waiting.push({ article, acceptedAt, resolve, reject });
        // A full group need not wait for the add in flight: a slow Redis holds at most one
        // group's worth of articles per add, never an unbounded queue.
        if (adding === 0 || waiting.length >= maxArticles) send();
      });
    },
  };
}
