import {
  BlockedAddressError,
  checkUrlHost,
  InvalidFeedUrlError,
  publicOnlyPolicy,
} from '../../shared/domain/address-guard.js';
import type { BlockedAddress } from '../../shared/infra/errors.js';

/**
 * Why a feed URL may not be added (its host is, or resolves to, a private address), or null.
 * The poller checks again at every fetch and redirect; this is the early, friendly refusal.
 */
export async function refuseFeedHost(url: URL): Promise<BlockedAddress | null> {
  try {
    await checkUrlHost(url, publicOnlyPolicy);
    return null;
  } catch (err) {
    if (err instanceof BlockedAddressError) return { privateHost: url.hostname };
    if (err instanceof InvalidFeedUrlError) return { invalidUrl: err.message };
    // A name that does not resolve now may later: the poller will report it on the source.
    return null;
  }
}
