/**
 * The HTTP contract (SPEC §5): every request body, query and answer of the API, typed once for
 * the routes (which check their answers with `satisfies`), the dashboard and the tests. The
 * Socket.IO contract is protocol.ts.
 */
import type { FieldProblem, PollOutcome, Post, QueueStats } from './protocol.js';

/**
 * Every failed request's body: a stable `error` code to branch on (shared/infra/errors.ts lists
 * them), a `message` a person can act on, and one entry per problem when there are several.
 */
export interface ErrorAnswer {
  error: string;
  message: string;
  details?: FieldProblem[];
}

// -- Articles ----------------------------------------------------------------------------------

/** One article as a producer sends it (README "The API in brief"); the server checks it all. */
export interface ArticleInput {
  /** http: or https:. */
  url: string;
  /** Tags stripped, entities decoded; 1–300 characters. */
  title: string;
  /** The producer's stable id (an RSS guid): the post id comes from it, else from `url`. */
  id?: string;
  summary?: string;
  /** 1–10 channel slugs; or `channel`, one of them. */
  channels?: string[];
  channel?: string;
  author?: string;
  /** ISO-8601 with an offset; when accepted if left out. */
  publishedAt?: string;
  imageUrl?: string;
  lang?: string;
}

/** `POST /api/articles`: one article, or a batch of 1–100. */
export type ArticlesRequest = ArticleInput | { articles: ArticleInput[] };

/** An article `POST /api/articles` refused while accepting others. */
export interface ArticleRejection {
  /** Its place in the batch (0 for a lone article). */
  index: number;
  error: 'invalid_article';
  details: FieldProblem[];
}

/** `202` of `POST /api/articles`: each accepted article's post id and job, and the rest. */
export interface ArticlesAccepted {
  accepted: { id: string; jobId: string }[];
  rejected: ArticleRejection[];
}

/** `202` of `POST /api/demo/sample`: the sample queued. */
export interface DemoSampleAccepted {
  accepted: { id: string; jobId: string; channels: string[]; title: string }[];
}

// -- Posts and channels ------------------------------------------------------------------------

/** `GET /api/posts` query (all optional). */
export interface PostsQuery {
  /** Default `top`. */
  channel?: string;
  /** 1–100, default 20. */
  limit?: number;
  locale?: string;
  /** An ISO date: only posts published before it. */
  before?: string;
}

/** `GET /api/posts` */
export interface PostsAnswer {
  channel: string;
  serverTime: string;
  cursor: string;
  posts: Post[];
}

/** One row of `GET /api/channels`. */
export interface ChannelSummary {
  channel: string;
  posts: number;
  lastPublishedAt: string | null;
  viewers: number;
}

/** `GET /api/channels` */
export type ChannelsAnswer = ChannelSummary[];

// -- Sources -----------------------------------------------------------------------------------

/** `POST /api/sources` */
export interface SourceRequest {
  /** The feed's URL, or a web page's that names its feed (`<link rel="alternate">`). */
  url: string;
  /** Default `["top"]`. */
  channels?: string[];
  /** Default 300. */
  intervalSeconds?: number;
}

/** What the sources API sets (SPEC §5). */
export interface SourceConfig {
  id: string;
  /** The feed polled: the URL given, or the feed that the page given names. */
  url: string;
  /** The web page the feed was found on, when `POST /api/sources` was given a page's URL. */
  page?: string;
  channels: string[];
  intervalSeconds: number;
  createdAt: string;
}

/** How a source's last poll went. */
export interface LastPoll extends PollOutcome {
  at: string;
}

/**
 * Where a source stands with WebSub (SPEC §11): `subscribing` (asked the hub, waiting for it to
 * verify), `active` (the hub pushes; polling goes on as a safety net), `denied` (the hub said no;
 * `error` has its reason), `expired` (the lease ended without a renewal; the next poll asks
 * again), `off` (no push: `error` says why, e.g. PUBLIC_URL unset or the hub unreachable).
 */
export interface SourcePush {
  /** The hub the feed names. */
  hub: string;
  /** The topic subscribed to: the feed's `rel="self"` URL, else the feed URL. */
  topic: string;
  state: 'subscribing' | 'active' | 'denied' | 'expired' | 'off';
  /** ISO time the hub's lease ends; renewed before that. */
  leaseExpiresAt?: string;
  /** ISO time of the last content the hub pushed that was accepted. */
  lastPushAt?: string;
  error?: string;
}

/**
 * A source as the API shows it: `GET /api/sources/:id`, each of `GET /api/sources`, and the
 * `201` of `POST /api/sources`.
 */
export interface SourceView extends SourceConfig {
  lastPoll?: LastPoll;
  consecutiveErrors: number;
  /** ISO time of the next poll the source is due for (backoff, Retry-After and TTL included). */
  nextPollAt: string;
  /** Only once a poll found a hub in the feed (WebSub). */
  push?: SourcePush;
}

/** `GET /api/sources` */
export interface SourcesAnswer {
  sources: SourceView[];
}

/** `202` of `POST /api/sources/:id/poll`: the poll job queued. */
export interface PollQueued {
  jobId: string;
}

// -- Jobs and queues ---------------------------------------------------------------------------

/** `GET /api/jobs` query. */
export interface JobsQuery {
  /** Only failed jobs are listed. */
  state?: 'failed';
  /** 1–100, default 50. */
  limit?: number;
}

/** A failed ingest job as `GET /api/jobs` lists it. */
export interface FailedJob {
  id: string;
  /** The post it would have made or changed (a batch's first); absent for a job without an article. */
  postId?: string;
  title?: string;
  url?: string;
  /** How many articles the job carries, when it is a batch (one POST of several). */
  articles?: number;
  source: string;
  error: string;
  attemptsMade: number;
  /** ISO-8601 UTC. */
  failedAt: string;
}

/** `GET /api/jobs?state=failed` */
export interface FailedJobsAnswer {
  jobs: FailedJob[];
}

/** `202` of `POST /api/jobs/:id/retry`: the job waits to run again. */
export interface JobRetried {
  id: string;
  state: 'waiting';
}

/** One point of a queue's recent history: its `queue:stats` figures at `at`. */
export interface QueueStatsSample extends Omit<QueueStats, 'queue'> {
  /** ISO-8601 UTC: when the figures were read, to the 5 s slot. */
  at: string;
}

/** `GET /api/queues`: each queue's figures over the last five minutes, oldest first. */
export interface QueueHistoryAnswer {
  serverTime: string;
  queues: { queue: string; samples: QueueStatsSample[] }[];
}

// -- Health ------------------------------------------------------------------------------------

/** `GET /healthz`: the process answers. */
export interface HealthAnswer {
  status: 'ok';
}

/** `GET /readyz`: Redis answers too (else `503 redis_unavailable`). */
export interface ReadyAnswer {
  status: 'ready';
}
