/**
 * The post id of an article and the canonical URL it derives from (SPEC §4): the same story is one
 * post whoever sends it, as long as its URL, or the producer's own id, is the same.
 */
import { createHash } from 'node:crypto';

/** A post id: `p` and 22 base64url characters (132 bits of a SHA-256). */
export const POST_ID_PATTERN = /^p[A-Za-z0-9_-]{22}$/;

/** Whether one `name=value` piece of a query string is a `utm_*` parameter (any case). */
function isUtmParameter(piece: string): boolean {
  const rawName = (piece.split('=', 1)[0] ?? '').replaceAll('+', ' ');
  let name = rawName;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    // A malformed %-escape: judge the name as written.
  }
  return name.toLowerCase().startsWith('utm_');
}

/**
 * The canonical form of an article URL, from which the post id is derived when the producer
 * gives no id: trimmed and NFC, scheme and host lower-cased (and the rest normalised as the
 * WHATWG URL parser does: default port dropped, IDN hosts in punycode, non-ASCII percent-encoded),
 * no fragment, no `utm_*` query parameters (names compared case-insensitively, after decoding).
 * Other parameters are kept in order and exactly as written; empty `&&` pieces are dropped; the
 * `?` goes when nothing remains. Idempotent.
 *
 * @throws TypeError when `url` is not an absolute URL.
 * @example canonicalUrl('HTTPS://Example.COM/a?utm_source=x&b=1#frag') // 'https://example.com/a?b=1'
 */
export function canonicalUrl(url: string): string {
  const parsed = new URL(url.trim().normalize('NFC'));
  parsed.hash = '';
  const kept = parsed.search
    .slice(1)
    .split('&')
    .filter((piece) => piece !== '' && !isUtmParameter(piece));
  parsed.search = kept.length > 0 ? `?${kept.join('&')}` : '';
  return parsed.href;
}

/**
 * The post id of an article: `p` + the first 22 base64url characters of the SHA-256 of
 * `"id\0" + producerId` when the producer gave an id, else of `"url\0" + canonical`. So the same
 * producer id always gives the same post (whatever the URL), and without one the same canonical URL
 * does. Matches {@link POST_ID_PATTERN}.
 *
 * @param producerId The producer's id, already trimmed (as in `NormalizedArticle`).
 * @param canonical The article URL, already canonical ({@link canonicalUrl}).
 */
export function postIdFor(producerId: string | undefined, canonical: string): string {
  const key = producerId === undefined ? `url\u0000${canonical}` : `id\u0000${producerId}`;
  return `p${createHash('sha256').update(key, 'utf8').digest('base64url').slice(0, 22)}`;
}
