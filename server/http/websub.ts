/**
 * The WebSub callback, `<PUBLIC_URL>/websub/:id`, served by every server node: the hub's
 * verification of intent (GET) and its content distribution (POST). A hub is a machine that
 * retries on errors, so nothing it sends gets a 5xx: content that is not accepted is answered
 * 2xx and ignored (logged as `websub.rejected`), and a verification Khabar did not ask for is a
 * 404, as WebSub says.
 */
import type { IncomingMessage } from 'node:http';
import { Router, type Request } from 'express';
import type { Logger } from 'pino';
import {
  CALLBACK_PATH,
  REQUESTED_LEASE_SECONDS,
  renewDelayMs,
  type Subscription,
  type WebSubQueue,
  type WebSubStore,
} from '../../shared/domain/websub.js';
import { checkSignature } from './websub-signature.js';

/** An active subscription's record outlives its lease by this: a late push is told apart from an unknown one. */
const AFTER_LEASE_MS = 24 * 3600 * 1000;

export interface WebSubRouteDeps {
  subscriptions: WebSubStore;
  queue: WebSubQueue;
  logger: Logger;
  /** The largest body read: the feeds' limit. */
  maxBytes: number;
  now?: () => number;
}

/** A query parameter as one string (the `simple` parser gives arrays for repeated ones). */
function param(req: Request, name: string): string | undefined {
  const value: unknown = req.query[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The body, or `too_large` as soon as it passes `maxBytes`: reading stops there (the rest is
 * never buffered; the caller answers and drops the connection).
 */
function readCapped(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', reject);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) {
        stop();
        req.pause();
        chunks.length = 0;
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks, total));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

/** The first characters of a subscription id: enough to follow it in logs, not to call it. */
const idHint = (id: string): string => id.slice(0, 6);

export function webSubRouter(deps: WebSubRouteDeps): Router {
  const { subscriptions, queue, logger, maxBytes, now = Date.now } = deps;
  const router = Router();
  const path = `${CALLBACK_PATH}:id`;

  async function verify(req: Request, subscription: Subscription): Promise<string | undefined> {
    const log = logger.child({ sourceId: subscription.sourceId, hub: subscription.hub });
    const mode = param(req, 'hub.mode');
    const topic = param(req, 'hub.topic');
    if (topic !== subscription.topic) return undefined;
    if (mode === 'denied') {
      const reason = param(req, 'hub.reason');
      const error = `The hub denied the subscription${reason ? `: ${reason}` : '.'}`;
      await subscriptions.save({ ...subscription, state: 'denied' }, AFTER_LEASE_MS);
      await subscriptions.savePush(
        subscription.sourceId,
        { state: 'denied', error, leaseExpiresAt: null },
        subscription.id,
      );
      log.warn(
        { event: 'websub.denied', reason },
        'the hub denied the subscription; polling goes on',
      );
      return '';
    }
    const challenge = param(req, 'hub.challenge');
    if (mode !== subscription.mode || challenge === undefined || challenge === '') return undefined;
    if (subscription.state === 'denied') return undefined;
    if (mode === 'unsubscribe') {
      await subscriptions.remove(subscription.id);
      log.info({ event: 'websub.unsubscribed' }, 'the hub stopped pushing');
      return challenge;
    }
    const granted = Number(param(req, 'hub.lease_seconds'));
    const leaseSeconds =
      Number.isSafeInteger(granted) && granted > 0 ? granted : REQUESTED_LEASE_SECONDS;
    const expiresAt = now() + leaseSeconds * 1000;
    const renewed = subscription.state === 'active';
    await subscriptions.save(
      { ...subscription, state: 'active', leaseSeconds, expiresAt },
      leaseSeconds * 1000 + AFTER_LEASE_MS,
    );
    const leaseExpiresAt = new Date(expiresAt).toISOString();
    await subscriptions.savePush(
      subscription.sourceId,
      { state: 'active', leaseExpiresAt, error: null },
      subscription.id,
    );
    // One renewal per lease: a hub that verifies twice does not schedule two.
    await queue.add(
      'renew',
      { kind: 'renew', subscriptionId: subscription.id },
      { delay: renewDelayMs(leaseSeconds), jobId: `renew-${subscription.id}-${expiresAt}` },
    );
    log.info(
      {
        event: renewed ? 'websub.renewed' : 'websub.subscribed',
        topic,
        leaseSeconds,
        leaseExpiresAt,
      },
      renewed ? 'the hub renewed the subscription' : 'the hub verified the subscription',
    );
    return challenge;
  }

  router.get(path, async (req, res) => {
    const id = req.params.id;
    try {
      const subscription = await subscriptions.get(id);
      const answer = subscription ? await verify(req, subscription) : undefined;
      if (answer === undefined) {
        logger.info(
          {
            event: 'websub.verification_refused',
            subscription: idHint(id),
            mode: param(req, 'hub.mode'),
          },
          'refused a verification Khabar did not ask for',
        );
        res.status(404).type('text/plain').send('no such subscription');
        return;
      }
      res.status(200).type('text/plain').send(answer);
    } catch (err) {
      // Storage away: the hub retries the verification later.
      logger.warn({ event: 'websub.verification_failed', err }, 'could not check a verification');
      res.status(404).type('text/plain').send('try again later');
    }
  });

  router.post(path, async (req, res) => {
    const id = req.params.id;
    const log = logger.child({ subscription: idHint(id) });
    const ignore = (reason: string, status = 202): void => {
      log.info({ event: 'websub.rejected', reason }, 'ignored what the hub sent');
      res.status(status).end();
    };
    try {
      const declared = Number(req.headers['content-length']);
      const body = declared > maxBytes ? 'too_large' : await readCapped(req, maxBytes);
      if (body === 'too_large') {
        // Refused unread: the connection is dropped once the answer is out.
        res.set('connection', 'close');
        res.on('finish', () => req.destroy());
        ignore('too_large', 413);
        return;
      }
      const subscription = await subscriptions.get(id);
      const refusal = !subscription
        ? 'unknown_subscription'
        : subscription.mode !== 'subscribe' || subscription.state !== 'active'
          ? 'inactive_subscription'
          : (subscription.expiresAt ?? 0) <= now()
            ? 'lease_expired'
            : checkSignature(req.headers['x-hub-signature'], subscription.secret, body);
      if (refusal !== undefined) {
        ignore(refusal);
        return;
      }
      const contentType = req.headers['content-type'];
      await queue.add(
        'push',
        {
          kind: 'push',
          subscriptionId: id,
          body: body.toString('base64'),
          receivedAt: now(),
          ...(contentType === undefined ? {} : { contentType }),
        },
        // The document is in the job: gone once stored.
        { removeOnComplete: true, removeOnFail: { count: 100 } },
      );
      res.status(202).end();
    } catch (err) {
      // Polling still brings the items; a 5xx would only make the hub hammer a node in trouble.
      log.error({ event: 'websub.rejected', reason: 'internal', err }, 'could not take a push');
      if (!res.headersSent) res.status(202).end();
    }
  });

  return router;
}
