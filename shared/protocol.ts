/**
 * The Socket.IO contract (SPEC §6) and the post payload (SPEC §3), typed once for the
 * server, the workers, the browser bundles and the tests.
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
export type UnsubscribeAnswer = { ok: true } | RequestFailed;

/** Events a public client sends. */
export interface PublicClientEvents {
  subscribe: (request: SubscribeRequest, ack: (answer: SubscribeAnswer) => void) => void;
  unsubscribe: (request: { channel: string }, ack: (answer: UnsubscribeAnswer) => void) => void;
}

/** Events the server pushes to public clients. */
export interface PublicServerEvents {
  'post:new': (event: PostEvent) => void;
  'post:updated': (event: PostEvent) => void;
  'post:removed': (event: RemovedEvent) => void;
}
