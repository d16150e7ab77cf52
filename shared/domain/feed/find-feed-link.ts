/**
 * A web page's own feed, as browsers and feed readers find it: the first
 * `<link rel="alternate" type="application/rss+xml">` (or Atom, or JSON Feed) of its head.
 */
import { Parser } from 'htmlparser2';

/** The media types a feed link may name (compared without parameters, case-insensitively). */
export const FEED_LINK_TYPES: ReadonlySet<string> = new Set([
  'application/rss+xml',
  'application/atom+xml',
  'application/feed+json',
  'application/json',
]);

/**
 * How much of a page is read. The head is nearly always in the first few kilobytes; this leaves
 * room for heads swollen with inline scripts and styles, and bounds what a huge page costs.
 */
export const MAX_HEAD_CHARS = 256 * 1024;

/**
 * Elements that may stand in a head. Any other start tag is where the HTML parser ends the head
 * and starts the body (the spec's "in head" insertion mode), so the search stops there: a
 * `<link rel="alternate">` in the body is not the page's own feed but, say, a link in an article.
 */
const HEAD_ELEMENTS: ReadonlySet<string> = new Set([
  'html',
  'head',
  'title',
  'base',
  'link',
  'meta',
  'style',
  'script',
  'noscript',
  'template',
]);

/** What {@link findFeedLink} saw. */
export interface FeedLinkSearch {
  /** The first feed link's absolute http(s) URL, if the head names one. */
  feedUrl?: string;
  /** The media type that link declared, lower-cased, without parameters. */
  type?: string;
  /** Whether the document looked like HTML at all: an HTML doctype, or a head or body element. */
  html: boolean;
}

function isFeedLink(attribs: Record<string, string>): boolean {
  const rel = (attribs.rel ?? '').toLowerCase().split(/[\t\n\f\r ]+/);
  if (!rel.includes('alternate')) return false;
  return FEED_LINK_TYPES.has(mediaType(attribs.type ?? ''));
}

function mediaType(type: string): string {
  return (type.split(';')[0] ?? '').trim().toLowerCase();
}

/** `href` resolved against `base`, if that makes an http(s) URL. */
function resolve(href: string, base: string): string | undefined {
  try {
    const url = new URL(href.trim(), base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds the feed a page names in its head: the first `<link>` in document order whose `rel`
 * holds the token `alternate` (among others, in any case) and whose `type` is one of
 * {@link FEED_LINK_TYPES}, its `href` resolved against the page's first `<base href>` (itself
 * resolved against `pageUrl`) or else `pageUrl`. A link whose `href` is missing or does not
 * resolve to an http(s) URL is passed over for the next one.
 *
 * Links in the body are ignored: reading stops at `</head>`, at `<body>`, at the first element
 * that cannot stand in a head (where the head implicitly ends), or after {@link MAX_HEAD_CHARS}
 * characters. htmlparser2 reads broken markup as browsers roughly do (unquoted attributes,
 * unclosed tags, stray `<`).
 *
 * @param html The page as text.
 * @param pageUrl The URL the page was fetched from (after redirects): the base of relative links.
 */
export function findFeedLink(html: string, pageUrl: string): FeedLinkSearch {
  // Gathered first, resolved at the end: a <base> applies to every URL of the document, even to
  // links before it.
  const links: { href: string; type: string }[] = [];
  let baseHref: string | undefined;
  let sawHtml = false;
  let inTemplate = 0;
  const parser: Parser = new Parser(
    {
      onopentag(name, attribs) {
        // A template's content is inert: never part of the document's head.
        if (inTemplate > 0) return;
        if (!HEAD_ELEMENTS.has(name)) {
          if (name === 'body') sawHtml = true;
          parser.pause();
          return;
        }
        sawHtml = true;
        if (name === 'template') inTemplate += 1;
        else if (name === 'base' && baseHref === undefined && attribs.href !== undefined) {
          baseHref = attribs.href;
        } else if (name === 'link' && attribs.href !== undefined && isFeedLink(attribs)) {
          links.push({ href: attribs.href, type: mediaType(attribs.type ?? '') });
        }
      },
      onprocessinginstruction(name, data) {
        if (name.toLowerCase() === '!doctype' && /^!doctype\s+html\b/i.test(data)) sawHtml = true;
      },
      onclosetag(name) {
        if (name === 'template') inTemplate = Math.max(0, inTemplate - 1);
        else if (name === 'head' && inTemplate === 0) parser.pause();
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html.slice(0, MAX_HEAD_CHARS));
  const base = (baseHref === undefined ? undefined : resolve(baseHref, pageUrl)) ?? pageUrl;
  for (const link of links) {
    const feedUrl = resolve(link.href, base);
    if (feedUrl !== undefined) return { feedUrl, type: link.type, html: sawHtml };
  }
  return { html: sawHtml };
}
