/**
 * One form POST to a WebSub hub (subscribe, renew, unsubscribe), through the same guard as feed
 * fetches: the hub's address is vetted like a feed's (no private addresses unless
 * ALLOW_PRIVATE_FEEDS), on the address actually connected to, with a deadline. Redirects are
 * not followed: a hub that moved must be named anew by the feed.
 */
import { fetch } from 'undici';
import type { AddressPolicy } from '../../shared/domain/address-guard.js';
import { FetchError, toFetchError } from '../../shared/domain/feed/fetch/fetch-error.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_USER_AGENT,
} from '../../shared/domain/feed/fetch/fetch-feed.js';
import { agentFor } from '../../shared/domain/feed/fetch/guarded-agent.js';
import { discard } from '../../shared/domain/feed/fetch/read-body.js';
import { vetHop } from '../../shared/domain/feed/fetch/vet-hop.js';

/** A hub answers a subscription request at once (it verifies later): ten seconds is plenty. */
export const HUB_TIMEOUT_MS = 10_000;

/** The `hub.*` fields of a subscription request. */
export interface HubForm {
  'hub.mode': 'subscribe' | 'unsubscribe';
  'hub.topic': string;
  'hub.callback': string;
  'hub.secret'?: string;
  'hub.lease_seconds'?: string;
}

/**
 * POSTs `form` to `hub`. Resolves with the hub's status when it is 2xx (202 Accepted, normally).
 *
 * @throws FetchError `blocked_address`, `invalid_url`, `timeout`, `network`, or `http_error`
 *   when the hub answers otherwise.
 */
export async function postToHub(
  hub: string,
  form: HubForm,
  policy: AddressPolicy,
  timeoutMs: number = HUB_TIMEOUT_MS,
): Promise<number> {
  const url = vetHop(hub, undefined, policy);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  const fields = Object.entries(form).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  try {
    const response = await fetch(url, {
      method: 'POST',
      dispatcher: agentFor(policy, DEFAULT_CONNECT_TIMEOUT_MS),
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': DEFAULT_USER_AGENT,
      },
      body: new URLSearchParams(fields).toString(),
      signal: controller.signal,
    });
    await discard(response);
    if (response.status < 200 || response.status > 299) {
      throw new FetchError(
        'http_error',
        `The hub ${url.href} answered HTTP ${response.status} to ${form['hub.mode']}.`,
        { httpStatus: response.status },
      );
    }
    return response.status;
  } catch (error) {
    throw toFetchError(error, url.href, timedOut, timeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
  } finally {
    clearTimeout(timer);
  }
}
