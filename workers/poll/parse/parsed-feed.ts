/**
 * What parsing a feed gives, whatever its format: the feed's own facts and its items, as the feed
 * wrote them.
 */

import type { XmlFormat } from '../../../shared/domain/feed/sniff.js';

/** The formats written in XML (sniffed in shared/, where the sources API reads them too). */
export type { XmlFormat };

/** The syntax a feed was written in. */
export type FeedFormat = XmlFormat | 'json';

/**
 * One item of a feed, as the feed gave it, before any of Khabar's rules: text fields hold HTML
 * (plain-text fields of Atom and JSON Feed are escaped so they survive being read as HTML), links
 * are absolute (resolved against `xml:base` and the feed URL), dates are the feed's own text.
 */
export interface FeedItem {
  /** The RSS guid, Atom id, RDF `rdf:about` or JSON Feed id, trimmed. */
  guid?: string;
  /**
   * Whether the feed says the guid is the item's permalink: `false` for RSS
   * `isPermaLink="false"`, otherwise unset (RSS's default is true; Atom and JSON ids are often,
   * but not always, URLs).
   */
  guidIsPermaLink?: boolean;
  /** The item's page, absolute http(s); the permalink guid when the item has no link. */
  link?: string;
  title?: string;
  summaryHtml?: string;
  contentHtml?: string;
  author?: string;
  /** The publication date as written in the feed (see `parseFeedDate`). */
  published?: string;
  /** The last-modified date as written in the feed. */
  updated?: string;
  imageUrl?: string;
  lang?: string;
}

/** What `parseFeedText` found in a feed document. */
export interface ParsedFeed {
  format: FeedFormat;
  title?: string;
  /** The feed's language (RSS `language`, Atom `xml:lang`, JSON Feed `language`), as written. */
  lang?: string;
  /** How long the publisher asks readers to cache the feed (RSS `ttl`), in minutes. */
  ttlMinutes?: number;
  /**
   * The WebSub hubs the feed names (`atom:link rel="hub"` in RSS and Atom, `hubs` in JSON Feed),
   * absolute http(s), in document order.
   */
  hubs?: string[];
  /** The feed's own URL as it names it (`rel="self"`): the WebSub topic. */
  self?: string;
  items: FeedItem[];
}
