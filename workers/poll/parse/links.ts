/**
 * Links of feed items made absolute: resolved against the `xml:base` in scope, then the feed URL,
 * and kept only when they are http(s).
 */
import type { AtomFeed } from 'feedsmith';
import { nonBlank } from './text.js';

/** `href` resolved against `base`; undefined when blank or not a URL. */
function resolve(href: string | undefined, base: string | undefined): URL | undefined {
  const text = nonBlank(href);
  if (text === undefined) return undefined;
  try {
    return new URL(text, base);
  } catch {
    return undefined;
  }
}

/** `href` resolved against `base`, if that gives an absolute http(s) URL. */
export function resolveHttp(
  href: string | undefined,
  base: string | undefined,
): string | undefined {
  const url = resolve(href, base);
  return url?.protocol === 'http:' || url?.protocol === 'https:' ? url.href : undefined;
}

/** An `xml:base` resolved against the base in scope (any scheme: a base need not be http). */
export function resolveBase(
  xmlBase: string | undefined,
  base: string | undefined,
): string | undefined {
  return resolve(xmlBase, base)?.href ?? base;
}

/**
 * The WebSub links of a feed-level Atom link list (RFC 4287 links, in Atom feeds and as
 * `atom:link` in RSS): every `rel="hub"` and the first `rel="self"`, absolute http(s).
 */
export function webSubLinks(
  links: readonly AtomFeed.Link<string>[] | undefined,
  base: string | undefined,
): { hubs?: string[]; self?: string } {
  const withRel = (rel: string): string[] =>
    (links ?? []).flatMap((link) =>
      (link.rel ?? '').split(/\s+/).includes(rel) ? (resolveHttp(link.href, base) ?? []) : [],
    );
  const hubs = withRel('hub');
  const [self] = withRel('self');
  return { ...(hubs.length > 0 ? { hubs } : {}), ...(self === undefined ? {} : { self }) };
}

/** The `alternate` link of an Atom link list (a link without `rel` is one), HTML preferred. */
export function alternateLink(
  links: readonly AtomFeed.Link<string>[] | undefined,
  base: string | undefined,
): string | undefined {
  const alternates = (links ?? []).filter((link) => (link.rel ?? 'alternate') === 'alternate');
  const html = alternates.find((link) => link.type === undefined || link.type.includes('html'));
  return resolveHttp((html ?? alternates[0])?.href, base);
}
