/**
 * Every URL a fetch goes to, the first and each redirect target, is vetted before a request is
 * sent: it must be a feed URL (http or https, no credentials), and a literal IP must be one the
 * policy allows (names are vetted when they resolve, by the guarded agent).
 */
import {
  BlockedAddressError,
  literalAddress,
  parseFeedUrl,
  type AddressPolicy,
} from '../../address-guard.js';
import { FetchError } from './fetch-error.js';

/**
 * @param input The URL, or a redirect's `Location`.
 * @param base The URL that redirected to `input`; undefined for the first hop.
 * @throws FetchError `invalid_url` or `blocked_address`.
 */
/** Parses and vets one hop's URL before anything is sent; literal IPs are judged here. */
export function vetHop(input: string, base: string | undefined, policy: AddressPolicy): URL {
  let url: URL;
  try {
    url = parseFeedUrl(input, base);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new FetchError(
      'invalid_url',
      base === undefined
        ? message
        : `The feed at ${base} redirected to an unusable URL: ${message}`,
      { cause: error },
    );
  }
  const literal = literalAddress(url.hostname);
  if (literal !== undefined && !policy(literal)) {
    const blocked = new BlockedAddressError(literal, literal);
    throw new FetchError(
      'blocked_address',
      base === undefined
        ? blocked.message
        : `${base} redirected to ${url.href}. ${blocked.message}`,
      { cause: blocked },
    );
  }
  return url;
}
