/**
 * The Socket.IO contract (SPEC §6) and the post payload (SPEC §3), typed once for the
 * server, the workers, the browser bundles and the tests. The HTTP API's types are http.ts.
 */

/** A post as Khabar stores it: everything but the relative label. */
export interface StoredPost {
  id: string;
  url: string;
  title: string;
  summary?: string;
  author?: string;
  channels: string[];
  imageUrl?: string;
  lang?: string;
  /** ISO-8601 UTC with milliseconds. */
  publishedAt: string;
  /** ISO-8601 UTC with milliseconds; set once the post has changed after it was first stored. */
  updatedAt?: string;
}

/** A post as every read API and every push carries it. */
export interface Post extends StoredPost {
  /** Relative label ("21 mins ago") at the moment the payload was made, in the receiver's locale. */
  ago: string;
}

export type PostEventType = 'post:new' | 'post:updated' | 'post:removed';

interface EventHead {
  channel: string;
  /** 1, 2, 3, … per channel, with no gaps. */
  seq: number;
  /** `<epoch>-<seq>`: pass the last one seen as `since` to resume. */
  cursor: string;
}

export interface PostEvent extends EventHead {
  post: Post;
}

export interface RemovedEvent extends EventHead {
  id: string;
}

/** An event replayed in a `subscribe` answer: the live payload plus its type. */
export type ReplayedEvent =
  ({ type: 'post:new' | 'post:updated' } & PostEvent) | ({ type: 'post:removed' } & RemovedEvent);

export interface SubscribeRequest {
  channel: string;
  /** 1–50, default 10. */
  limit?: number;
  locale?: string;
  /** The last cursor this client saw in the channel. */
  since?: string;
}

export interface SubscribeOk {
  ok: true;
  channel: string;
  serverTime: string;
  cursor: string;
  recovered: boolean;
  /** When `recovered` is false: the newest posts, newest first (replace your list). */
  posts?: Post[];
  /** When `recovered` is true: every event after `since`, in order (apply them). */
  events?: ReplayedEvent[];
}

export interface RequestFailed {
  ok: false;
  error: string;
  message: string;
}

export type SubscribeAnswer = SubscribeOk | RequestFailed;
/**
 * The answer to a subscribe made in the handshake: as an acknowledged one's, and a failure
 * names its channel when the request named a valid one.
 */
export type HandshakeSubscribeAnswer = SubscribeOk | (RequestFailed & { channel?: string });

/**
 * What a public client may send in its handshake: `io(url, { auth })`. Each subscribe in it is
 * answered by a `subscribed` event right after the connect, one round trip sooner than an
 * emitted `subscribe`; with `auth` as a function, socket.io-client asks for it again on every
 * reconnect, so the latest cursors go out with it.
 */
export interface PublicAuth {
  /** At most 50, one per channel. */
  subscribe?: SubscribeRequest[];
}
export type UnsubscribeAnswer = { ok: true } | RequestFailed;

/** Events a public client sends. */
export interface PublicClientEvents {
  subscribe: (request: SubscribeRequest, ack: (answer: SubscribeAnswer) => void) => void;
  unsubscribe: (request: { channel: string }, ack: (answer: UnsubscribeAnswer) => void) => void;
}

/** A channel's live events, pushed to its subscribers and to every newsroom client. */
export interface ChannelEvents {
  'post:new': (event: PostEvent) => void;
  'post:updated': (event: PostEvent) => void;
  'post:removed': (event: RemovedEvent) => void;
}

/** Events the server pushes to public clients. */
export interface PublicServerEvents extends ChannelEvents {
  /** One per subscribe of the handshake's `PublicAuth`, each as soon as it is ready. */
  subscribed: (answer: HandshakeSubscribeAnswer) => void;
}

/** A problem with one field of a request (SPEC §5 `details`), in HTTP and socket answers alike. */
export interface FieldProblem {
  path: string;
  message: string;
}

/**
 * `ingest:accepted`: an article the API queued. `source` is `api` or `demo` (the demo page's
 * sample publisher); feed items are reported by `source:polled` instead.
 */
export interface IngestAcceptedEvent {
  id: string;
  jobId: string;
  source: string;
  /**
   * The article's title, cleaned as the post will show it: what editors recognise an article
   * by. Beyond SPEC §6's fields; a dashboard falls back to `id` when a sender left it out.
   */
  title?: string;
}

/** `ingest:rejected`: an article the API refused as invalid, with every problem found. */
export interface IngestRejectedEvent {
  source: string;
  error: string;
  details: FieldProblem[];
}

/** `ingest:failed`: a job that threw; `final` when it will not be retried by itself. */
export interface IngestFailedEvent {
  jobId: string;
  error: string;
  attemptsMade: number;
  final: boolean;
  /** The post the job was about, when it carried an article. */
  postId?: string;
}

/** How one feed poll went: the source's `lastPoll` (with its time) and `source:polled`. */
export interface PollOutcome {
  status: 'ok' | 'not-modified' | 'error';
  httpStatus?: number;
  items: number;
  added: number;
  updated: number;
  error?: string;
  /** The publisher asked for a longer wait than Khabar grants (24 h at most), and by how much. */
  notice?: string;
}

/** `source:polled`: one feed poll's outcome and when the source polls next. */
export interface SourcePolledEvent extends PollOutcome {
  sourceId: string;
  url: string;
  nextPollAt: string;
}

/** `queue:stats` (and the `queue.stats` log line): where one BullMQ queue stands. */
export interface QueueStats {
  queue: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  /** Jobs completed in the last full minute. */
  completedPerMinute: number;
  /** Age of the oldest job still waiting; 0 when none waits. */
  oldestWaitingMs: number;
}

/** `presence`: viewers per channel, summed over every server node. */
export interface PresenceEvent {
  channels: Record<string, number>;
}

/** What a newsroom client sends in its handshake: `io('/newsroom', { auth })`. */
export interface NewsroomAuth {
  /** One of `NEWSROOM_TOKENS`. */
  token: string;
  /** Locale of the posts' `ago` labels; DEFAULT_LOCALE when left out. */
  locale?: string;
}

/** Events the server pushes to the `/newsroom` namespace: every channel's posts, and more. */
export interface NewsroomServerEvents extends ChannelEvents {
  'ingest:accepted': (event: IngestAcceptedEvent) => void;
  'ingest:rejected': (event: IngestRejectedEvent) => void;
  'ingest:failed': (event: IngestFailedEvent) => void;
  'source:polled': (event: SourcePolledEvent) => void;
  /** Every 5 s, one per queue. */
  'queue:stats': (event: QueueStats) => void;
  /** Every 5 s. */
  presence: (event: PresenceEvent) => void;
}

/** Newsroom clients only listen. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- nothing to send
export type NewsroomClientEvents = {};

/** The newsroom events that do not come from a channel's log. */
export type NewsroomOnlyEvent = Exclude<keyof NewsroomServerEvents, keyof ChannelEvents>;
