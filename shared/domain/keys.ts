/**
 * Every Redis key Khabar writes, built from KEY_PREFIX here and nowhere else.
 *
 * Data keys share the hash tag `{feed}` so that one Lua script may touch a post, its
 * channels' logs and the fan-out stream on a Redis Cluster (they all live in one slot);
 * BullMQ's keys carry their own tag, `{queue}`, for the same reason.
 */
export interface Keys {
  /** Hash: `data` (post JSON), `hash` (content hash), `acceptedAt`, `channels`. */
  post(id: string): string;
  /** Sorted set of post ids, scored by publishedAt (ms), capped at RECENT_LIMIT. */
  recent(channel: string): string;
  /** Counter: the channel's last event `seq`. */
  seq(channel: string): string;
  /** String: the channel's history epoch; recreated only when the history was lost. */
  epoch(channel: string): string;
  /** Stream: the channel's events with ids `<seq>-0`, capped at HISTORY_LIMIT. */
  log(channel: string): string;
  /** Stream: every event of every channel, tailed by each server node. */
  readonly events: string;
  /** Sorted set of channel names, scored by the time of their last event. */
  readonly channels: string;
  /**
   * Hash: channel → the `master_replid` of the Redis master that last appended to its log, so
   * the first append after a failover can tell the log may have been rolled back.
   */
  readonly lineage: string;
  /** Sorted set of live server nodes, scored by when their presence report expires (ms). */
  readonly presenceNodes: string;
  /** Hash: channel → viewers on one server node; expires unless the node renews it. */
  presence(nodeId: string): string;
  /** Set of feed source ids. */
  readonly sources: string;
  /** Hash: `config` (what the API set) and `state` (what the poller learned), as JSON. */
  source(id: string): string;
  /** Hash: item key → when the poller first saw the item (ms); dates for undated items. */
  sourceSeen(id: string): string;
  /**
   * Hash: one WebSub subscription (source, hub, topic, secret, mode, state, lease), by the random
   * id in its callback URL; expires some time after its lease, or unverified.
   */
  webSub(subscriptionId: string): string;
  /** String with a TTL: held by the one poll of this source that is running. */
  pollLock(id: string): string;
  /** Stream: newsroom-only events (source polls, ingest outcomes) for the dashboard. */
  readonly newsroomEvents: string;
  /** Hash: job duration histograms and failure counts, added to by every worker process. */
  readonly jobMetrics: string;
  /**
   * Stream: one BullMQ queue's recent `queue:stats`, at most one entry per 5 s slot (entry id
   * `<slot ms>-0`), capped at a few minutes; written by whichever process read them.
   */
  queueHistory(queue: string): string;
  /**
   * The per-token request budget of the ingest API: rate-limiter-flexible's `keyPrefix`, to
   * which it adds `:<caller>`. Outside `{feed}`: it is only read and written on its own.
   */
  readonly rateLimit: string;
  /**
   * Set of post ids trimmed from a recent list and not yet pruned: written by the upsert script
   * itself, so a job that dies or times out after it leaves them for the next one to prune.
   */
  readonly trimmedPosts: string;
  /** The `prefix` option for BullMQ queues and workers. */
  readonly queuePrefix: string;
  /**
   * A key of the queues' slot that is never written: it routes a script (the failover watch's
   * `master-lineage.lua`) to the master that holds the queues, on a Cluster.
   */
  readonly queueSlot: string;
  /** The prefix of every Khabar data key (posts, lists, logs), without the queue's. */
  readonly data: string;
  /** The prefix under which every key lives (for cleanup and inspection). */
  readonly all: string;
}

export function createKeys(prefix: string): Keys {
  const data = `${prefix}:{feed}`;
  return Object.freeze({
    post: (id: string) => `${data}:post:${id}`,
    recent: (channel: string) => `${data}:recent:${channel}`,
    seq: (channel: string) => `${data}:seq:${channel}`,
    epoch: (channel: string) => `${data}:epoch:${channel}`,
    log: (channel: string) => `${data}:log:${channel}`,
    events: `${data}:events`,
    channels: `${data}:channels`,
    lineage: `${data}:lineage`,
    presenceNodes: `${data}:presence`,
    sources: `${data}:sources`,
    source: (id: string) => `${data}:source:${id}`,
    sourceSeen: (id: string) => `${data}:source:${id}:seen`,
    webSub: (subscriptionId: string) => `${data}:websub:${subscriptionId}`,
    pollLock: (id: string) => `${data}:source:${id}:polling`,
    newsroomEvents: `${data}:newsroom`,
    jobMetrics: `${data}:metrics:jobs`,
    queueHistory: (queue: string) => `${data}:queue-history:${queue}`,
    presence: (nodeId: string) => `${data}:presence:${nodeId}`,
    rateLimit: `${prefix}:ratelimit`,
    trimmedPosts: `${data}:trimmed`,
    queuePrefix: `${prefix}:{queue}`,
    queueSlot: `${prefix}:{queue}:slot`,
    data: `${data}:`,
    all: `${prefix}:`,
  });
}

/** The BullMQ queue every article goes through. */
export const INGEST_QUEUE = 'ingest';

/** The BullMQ queue of feed polls, one job scheduler per source. */
export const POLL_QUEUE = 'poll';

/** The BullMQ queue of WebSub work: subscribe, renew, unsubscribe, and pushed content. */
export const WEBSUB_QUEUE = 'websub';
