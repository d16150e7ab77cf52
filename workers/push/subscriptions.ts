/**
 * The subscriber's side of WebSub in the workers: after each poll, act on the hub the feed names
 * (subscribe, or say why not); and the `subscribe`, `renew` and `unsubscribe` jobs, each one
 * request to the hub. The hub answers later, at the callback, which the server nodes serve.
 */
import type { Logger } from 'pino';
import type { AddressPolicy } from '../../shared/domain/address-guard.js';
import type { SourceStore, StoredSource } from '../../shared/domain/sources.js';
import {
  callbackUrl,
  newSecret,
  newSubscriptionId,
  pushView,
  REQUESTED_LEASE_SECONDS,
  type Subscription,
  type WebSubQueue,
  type WebSubStore,
} from '../../shared/domain/websub.js';
import { FetchError } from '../../shared/domain/feed/fetch/fetch-error.js';
import type { HubDiscovery } from './discover-hub.js';
import { postToHub, type HubForm } from './hub-request.js';

/** How long a request the hub has not verified yet is remembered: hubs verify within minutes. */
const UNVERIFIED_TTL_MS = 24 * 3600 * 1000;

/** Shown as `push.error` when a feed names a hub but Khabar cannot be called back. */
export const NO_PUBLIC_URL =
  'PUBLIC_URL is not set, so the hub cannot call Khabar back; the feed is polled only.';

export interface SubscriptionDeps {
  sources: Pick<SourceStore, 'get'>;
  subscriptions: WebSubStore;
  queue: WebSubQueue;
  /** PUBLIC_URL; unset, nothing is subscribed to. */
  publicUrl: string | undefined;
  /** Which addresses a hub may be on: the feeds' policy (ALLOW_PRIVATE_FEEDS). */
  policy: AddressPolicy;
  logger: Logger;
  now?: () => number;
}

function reasonOf(err: unknown): string {
  if (err instanceof FetchError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export function createSubscriptions(deps: SubscriptionDeps) {
  const { sources, subscriptions, queue, publicUrl, policy, logger, now = Date.now } = deps;

  function form(subscription: Subscription, mode: HubForm['hub.mode'], base: string): HubForm {
    const request: HubForm = {
      'hub.mode': mode,
      'hub.topic': subscription.topic,
      'hub.callback': callbackUrl(base, subscription.id),
    };
    if (mode === 'subscribe') {
      request['hub.secret'] = subscription.secret;
      request['hub.lease_seconds'] = String(REQUESTED_LEASE_SECONDS);
    }
    return request;
  }

  return {
    /**
     * After a poll read the feed: subscribes when it names a hub that the source is not
     * subscribed (or subscribing) to, or records why it cannot be (no PUBLIC_URL). A denied
     * hub is not asked again until the feed names another one.
     */
    async reconcile(source: StoredSource, found: HubDiscovery | undefined): Promise<void> {
      if (found === undefined) return;
      const { id } = source.config;
      const current = source.push;
      const same = current?.hub === found.hub && current.topic === found.topic;
      if (publicUrl === undefined) {
        if (same && current.state === 'off' && current.error === NO_PUBLIC_URL) return;
        await subscriptions.savePush(id, { ...found, state: 'off', error: NO_PUBLIC_URL });
        return;
      }
      if (same && ['subscribing', 'active', 'denied'].includes(pushView(current, now()).state)) {
        return;
      }
      // Shown at once, and keeps the next polls from asking again while the job waits.
      await subscriptions.savePush(id, { ...found, state: 'subscribing', error: null });
      await queue.add('subscribe', { kind: 'subscribe', sourceId: id, ...found });
    },

    /** A new subscription (new callback, new secret) for the source at `hub`. */
    async subscribe(sourceId: string, found: HubDiscovery): Promise<void> {
      if (publicUrl === undefined) return;
      const log = logger.child({ sourceId, hub: found.hub });
      const source = await sources.get(sourceId);
      if (!source) return;
      const subscription: Subscription = {
        id: newSubscriptionId(),
        sourceId,
        ...found,
        secret: newSecret(),
        mode: 'subscribe',
        state: 'pending',
      };
      await subscriptions.save(subscription, UNVERIFIED_TTL_MS);
      const change = { ...found, state: 'subscribing' as const, subscriptionId: subscription.id };
      if (!(await subscriptions.savePush(sourceId, { ...change, leaseExpiresAt: null }))) {
        await subscriptions.remove(subscription.id);
        return;
      }
      // The feed moved to another hub (or topic): the old hub is told to stop.
      const previousId = source.push?.subscriptionId;
      const previous = previousId === undefined ? null : await subscriptions.get(previousId);
      if (previous?.state === 'active') {
        await queue.add('unsubscribe', { kind: 'unsubscribe', subscriptionId: previous.id });
      } else if (previous) {
        await subscriptions.remove(previous.id);
      }
      try {
        await postToHub(found.hub, form(subscription, 'subscribe', publicUrl), policy);
        log.info(
          { event: 'websub.requested', topic: found.topic },
          'asked the hub for a subscription',
        );
      } catch (err) {
        const error = `The hub could not be asked to push: ${reasonOf(err)}`;
        await subscriptions.savePush(sourceId, { state: 'off', error }, subscription.id);
        await subscriptions.remove(subscription.id);
        log.warn({ event: 'websub.failed', error }, 'could not subscribe at the hub');
      }
    },

    /** The same subscription asked again before its lease ends. */
    async renew(subscriptionId: string): Promise<void> {
      if (publicUrl === undefined) return;
      const subscription = await subscriptions.get(subscriptionId);
      if (subscription?.mode !== 'subscribe' || subscription.state !== 'active') return;
      const log = logger.child({ sourceId: subscription.sourceId, hub: subscription.hub });
      const source = await sources.get(subscription.sourceId);
      if (source?.push?.subscriptionId !== subscriptionId) return;
      try {
        await postToHub(subscription.hub, form(subscription, 'subscribe', publicUrl), policy);
        log.debug({ event: 'websub.renewing' }, 'asked the hub to renew the subscription');
      } catch (err) {
        // The lease runs out; the source then shows `expired` and the next poll asks anew.
        const error = `The subscription could not be renewed: ${reasonOf(err)}`;
        await subscriptions.savePush(subscription.sourceId, { error }, subscriptionId);
        log.warn({ event: 'websub.failed', error }, 'could not renew at the hub');
      }
    },

    /** Asks the hub to stop; pushes for the subscription are ignored from now on. */
    async unsubscribe(subscriptionId: string): Promise<void> {
      const subscription = await subscriptions.get(subscriptionId);
      if (!subscription) return;
      const log = logger.child({ sourceId: subscription.sourceId, hub: subscription.hub });
      const leaving: Subscription = { ...subscription, mode: 'unsubscribe', state: 'pending' };
      await subscriptions.save(leaving, UNVERIFIED_TTL_MS);
      if (publicUrl === undefined) return;
      try {
        await postToHub(subscription.hub, form(leaving, 'unsubscribe', publicUrl), policy);
        log.info({ event: 'websub.unsubscribing' }, 'asked the hub to stop pushing');
      } catch (err) {
        await subscriptions.remove(subscriptionId);
        log.warn({ event: 'websub.failed', error: reasonOf(err) }, 'could not unsubscribe');
      }
    },
  };
}

export type Subscriptions = ReturnType<typeof createSubscriptions>;
