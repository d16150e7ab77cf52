import { escapeHtml } from '../../../shared/domain/html-text.js';

/**
 * Rewrites of a sniffed XML document into the shape feedsmith reads, for variants it does not
 * know: RSS whose elements carry a namespace prefix, and Atom 0.3 text encoded in base64.
 */

/**
 * CDATA sections and comments, whose text is content and must not be rewritten. One left open
 * runs to the end, so that it is scanned once rather than once per later start.
 */
const OPAQUE = String.raw`<!\[CDATA\[[\s\S]*?(?:\]\]>|$)|<!--[\s\S]*?(?:-->|$)`;

/**
 * RSS written with its elements in a prefixed namespace (`<r:rss xmlns:r="…"><r:channel>`), with
 * the prefix of the root element removed from every tag. RSS 2.0 has no namespace, so feedsmith
 * looks for unprefixed `<channel>`; some generators still put RSS elements in one
 * (`http://backend.userland.com/rss2`, or their own). Whatever the URI, elements under the root's
 * prefix are read as RSS. Other prefixes (`dc:`, `content:`) are left alone, as are CDATA
 * sections and comments.
 */
export function unprefixRss(document: string, rootName: string): string {
  const colon = rootName.indexOf(':');
  if (colon === -1) return document;
  const prefix = rootName.slice(0, colon).replace(/[.-]/g, '\\$&');
  const tags = new RegExp(`${OPAQUE}|<(/?)${prefix}:(?=[A-Za-z_])`, 'g');
  return document.replace(tags, (match, slash: string | undefined) =>
    slash === undefined ? match : `<${slash}`,
  );
}

/** Atom 0.3's text constructs, any of which may be `mode="base64"`. */
const TEXT_CONSTRUCTS = 'title|tagline|subtitle|summary|content|copyright|info';

const BASE64_MODE = /\smode\s*=\s*(["'])base64\1/i;

/**
 * Atom 0.3 text constructs with `mode="base64"` replaced by their decoded text, escaped, so
 * feedsmith reads the text rather than the base64. The decoded bytes are read as UTF-8 (the
 * encoding Atom 0.3 feeds use for it in practice; a wrong byte becomes U+FFFD). Only textual
 * types are decoded: base64 of an image (`type="image/png"`) is no text and is left as it is.
 */
export function decodeBase64Text(document: string): string {
  if (!/mode\s*=\s*["']base64/i.test(document)) return document;
  const elements = new RegExp(
    // Scanning left to right, a CDATA section inside a matching element is part of the element's
    // match; one met first (text in an RSS description, say) is skipped whole. Whitespace is
    // matched by one part only (the text, or around the CDATA), so a long run of it that is not
    // followed by the end tag is given up in linear time, not tried at every split.
    `${OPAQUE}|<((?:[\\w.-]+:)?(?:${TEXT_CONSTRUCTS}))(\\s[^<>]*)>(?:\\s*<!\\[CDATA\\[([^\\]]*)\\]\\]>\\s*|([^<]*))</\\1\\s*>`,
    'g',
  );
  return document.replace(
    elements,
    (
      match,
      name: string | undefined,
      attributes: string | undefined,
      cdata: string | undefined,
      plain: string | undefined,
    ) => {
      if (name === undefined || attributes === undefined || !BASE64_MODE.test(attributes)) {
        return match;
      }
      const type = /\stype\s*=\s*["']([^"']*)["']/i.exec(attributes)?.[1]?.toLowerCase();
      const textual =
        type === undefined ||
        type.startsWith('text/') ||
        type.includes('html') ||
        type.includes('xml');
      if (!textual) return match;
      const base64 = (cdata ?? plain ?? '').replace(/\s+/g, '');
      const text = new TextDecoder('utf-8').decode(Buffer.from(base64, 'base64'));
      return `<${name}${attributes.replace(BASE64_MODE, '')}>${escapeHtml(text)}</${name}>`;
    },
  );
}
