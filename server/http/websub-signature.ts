/**
 * WebSub's `X-Hub-Signature: <method>=<hex HMAC of the body>` (W3C WebSub §8), checked in
 * constant time. sha1 is in the list because WebSub still lists it and hubs still send it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const ALGORITHMS = new Set(['sha1', 'sha256', 'sha384', 'sha512']);

/** Why a signature was not accepted, as `websub.rejected` logs it. */
export type SignatureProblem =
  'missing_signature' | 'malformed_signature' | 'unsupported_algorithm' | 'wrong_signature';

/** Undefined when `header` is `body`'s HMAC under `secret`; else what is wrong with it. */
export function checkSignature(
  header: string | string[] | undefined,
  secret: string,
  body: Uint8Array,
): SignatureProblem | undefined {
  if (header === undefined || header === '') return 'missing_signature';
  const match = typeof header === 'string' ? /^([A-Za-z0-9]+)=([0-9A-Fa-f]+)$/.exec(header) : null;
  if (!match?.[1] || !match[2]) return 'malformed_signature';
  const algorithm = match[1].toLowerCase();
  if (!ALGORITHMS.has(algorithm)) return 'unsupported_algorithm';
  const expected = createHmac(algorithm, secret).update(body).digest();
  const given = Buffer.from(match[2], 'hex');
  // timingSafeEqual needs equal lengths; a length says nothing about the secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return 'wrong_signature';
  }
  return undefined;
}
