/**
 * WebSub (W3C recommendation) as Khabar keeps it: the subscriptions it asked hubs for, each by a
 * random id that is also its callback path, and each source's push status as the API shows it.
 * Workers subscribe, renew, unsubscribe and store pushed content; server nodes answer the hubs'
 * callbacks. Both sides meet here and in the `websub` queue.
 */
import { randomBytes } from 'node:crypto';
import { Queue, type ConnectionOptions } from 'bullmq';
import type { SourcePush } from '../contract/http.js';
import type { RedisClient } from '../infra/redis.js';
import { WEBSUB_QUEUE, type Keys } from './keys.js';
import { scriptsOn } from './scripts.js';

export type { SourcePush };

/** The largest feed document Khabar reads, fetched or pushed (after decompression). */
export const MAX_FEED_BYTES = 5 * 1024 * 1024;

/** The lease asked of hubs: a day, as WebSub suggests; hubs may grant another. */
export const REQUESTED_LEASE_SECONDS = 86_400;

/**
 * Renewal comes at this fraction of the granted lease: late enough not to chatter, early enough
 * that a hub slow to verify, or a renewal retried, still lands before the lease ends.
 */
export const RENEW_AT_FRACTION = 0.8;

/** The path under PUBLIC_URL that hubs call back (`<PUBLIC_URL>/websub/<subscription id>`). */
export const CALLBACK_PATH = '/websub/';

/** A subscription id: 24 random bytes, so a callback URL cannot be guessed or enumerated. */
export const SUBSCRIPTION_ID_PATTERN = /^[A-Za-z0-9_-]{32}$/;

/** What Khabar remembers of one subscription it asked a hub for. */
export interface Subscription {
  id: string;
  sourceId: string;
  hub: string;
  topic: string;
  /** The `hub.secret` sent with it: pushes are signed with it. Never logged. */
  secret: string;
  /** What was asked last: verification of intent must name the same mode. */
  mode: 'subscribe' | 'unsubscribe';
  /** `pending` until the hub verifies, then `active`; `denied` when the hub said no. */
  state: 'pending' | 'active' | 'denied';
  /** The lease the hub granted (seconds) and when it ends (epoch ms). */
  leaseSeconds?: number;
  expiresAt?: number;
}

/** A source's push status as stored: the API's view plus the subscription it is about. */
export interface StoredPush extends SourcePush {
  subscriptionId?: string;
}

/** One job of the `websub` queue. */
export type WebSubJob =
  /** Subscribe at `hub` to `topic` for the source (a new subscription, a new callback). */
  | { kind: 'subscribe'; sourceId: string; hub: string; topic: string }
  /** Subscribe again with the same callback and secret, before the lease ends. */
  | { kind: 'renew'; subscriptionId: string }
  /** Ask the hub to stop (the source was deleted, or its feed moved to another hub). */
  | { kind: 'unsubscribe'; subscriptionId: string }
  /** Content a hub pushed, signature checked: store it as a poll would. `body` is base64. */
  | {
      kind: 'push';
      subscriptionId: string;
      body: string;
      contentType?: string;
      receivedAt: number;
    };

export type WebSubQueue = Queue<WebSubJob>;

/** A hub that is briefly away, or Redis during a push: a few tries, then the next poll asks again. */
const WEBSUB_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 1000 },
};

export function createWebSubQueue(connection: ConnectionOptions, keys: Keys): WebSubQueue {
  const options = { connection, prefix: keys.queuePrefix, defaultJobOptions: WEBSUB_JOB_OPTIONS };
  return new Queue<WebSubJob>(WEBSUB_QUEUE, options);
}

/** The callback URL hubs call for `subscriptionId`. */
export function callbackUrl(publicUrl: string, subscriptionId: string): string {
  return `${publicUrl}${CALLBACK_PATH}${subscriptionId}`;
}

export function newSubscriptionId(): string {
  return randomBytes(24).toString('base64url');
}

/** A `hub.secret`: WebSub allows at most 200 bytes; 32 random bytes as hex is 64. */
export function newSecret(): string {
  return randomBytes(32).toString('hex');
}

/** When to renew a lease of `leaseSeconds`, from its start (at least a second from now). */
export function renewDelayMs(leaseSeconds: number): number {
  return Math.max(1000, Math.floor(leaseSeconds * 1000 * RENEW_AT_FRACTION));
}

/**
 * The API's view of a stored status at `now`: without the subscription id (it is the callback's
 * secret path), and `expired` once an active lease has ended without a renewal.
 */
export function pushView(stored: StoredPush, now: number): SourcePush {
  const { subscriptionId: _id, ...view } = stored;
  const ended =
    view.state === 'active' &&
    view.leaseExpiresAt !== undefined &&
    Date.parse(view.leaseExpiresAt) <= now;
  return ended ? { ...view, state: 'expired' } : view;
}

/** A change to a stored status: fields to set, and `null` for fields to drop. */
export type PushChange = { [K in keyof StoredPush]?: StoredPush[K] | null };

export interface WebSubStore {
  get(id: string): Promise<Subscription | null>;
  /** Writes the whole record, kept `ttlMs` (past its lease, or while it waits to be verified). */
  save(subscription: Subscription, ttlMs: number): Promise<void>;
  remove(id: string): Promise<void>;
  /**
   * Merges `change` into the source's push status, unless the source is gone or (with
   * `subscriptionId`) its status is about another subscription now. True when written.
   */
  savePush(sourceId: string, change: PushChange, subscriptionId?: string): Promise<boolean>;
}

export function createWebSubStore(redis: RedisClient, keys: Keys): WebSubStore {
  const scripts = scriptsOn(redis);
  return {
    async get(id) {
      if (!SUBSCRIPTION_ID_PATTERN.test(id)) return null;
      const raw = await redis.get(keys.webSub(id));
      return raw === null ? null : (JSON.parse(raw) as Subscription);
    },
    async save(subscription, ttlMs) {
      await redis.set(
        keys.webSub(subscription.id),
        JSON.stringify(subscription),
        'PX',
        Math.max(1000, Math.ceil(ttlMs)),
      );
    },
    async remove(id) {
      await redis.del(keys.webSub(id));
    },
    async savePush(sourceId, change, subscriptionId) {
      const written = await scripts.saveSourcePush(
        [keys.source(sourceId)],
        [JSON.stringify(change), subscriptionId ?? ''],
      );
      return written === 1;
    },
  };
}
