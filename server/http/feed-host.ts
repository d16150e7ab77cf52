import {
  BlockedAddressError,
  checkUrlHost,
  InvalidFeedUrlError,
  publicOnlyPolicy,
} from '../../shared/domain/address-guard.js';

/**
 * Why a feed URL may not be added (its host is, or resolves to, a private address), or null.
 * The poller checks again at every fetch and redirect; this is the early, friendly refusal.
 */
export async function refuseFeedHost(url: URL): Promise<string | null> {
  try {
    await checkUrlHost(url, publicOnlyPolicy);
    return null;
  } catch (err) {
    if (err instanceof BlockedAddressError) {
      return `${url.hostname} is, or resolves to, a private or reserved address; Khabar only polls public feeds (set ALLOW_PRIVATE_FEEDS=true for local tests).`;
    }
    if (err instanceof InvalidFeedUrlError) return `${err.message}.`;
    // A name that does not resolve now may later: the poller will report it on the source.
    return null;
  }
}
