import { createHash } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { ChannelLog } from '../../shared/domain/channel-log.js';
import { formatCursor } from '../../shared/contract/cursor.js';
import { formatAgo, resolveLocale } from '../../shared/contract/relative-time.js';
import { channelField, limitField, localeField, parseOr400 } from '../validation.js';
import { renderEmbedFragment } from './embed-fragment.js';
import { orUnavailable } from './unavailable.js';

export interface EmbedRouteDeps {
  channelLog: ChannelLog;
  defaultLocale: string;
  now?: () => number;
}

/**
 * How long a cache may keep a fragment: a few seconds, so a page that includes it on every
 * request does not read Redis each time, yet a new post (or a label turning "1 min ago") shows
 * up almost at once. Revalidating after that is cheap: the ETag answers 304.
 */
const MAX_AGE_SECONDS = 5;

/**
 * `GET /embed/:channel`: the path's channel and the query, checked as one object; exported for
 * the API description (server/http/openapi/).
 */
export const embedRequest = z.object({
  // The channel is in the path, so the messages show a good path.
  channel: channelField((name) => `/embed/${name}`),
  // 50, as the widget's `limit`: the fragment stands in for it.
  limit: limitField(50, 10),
  locale: localeField,
});

/**
 * Whether an If-None-Match header names `etag` (RFC 9110 §13.1.2: weak comparison, `*` matches).
 * Not Express's `req.fresh`: it ignores If-None-Match when the request says
 * `Cache-Control: no-cache`, which fetch() adds to every request that sets If-None-Match itself,
 * so a page revalidating by hand would never get its 304.
 */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** `GET /embed/:channel`: the channel's recent posts as an HTML fragment (embed-fragment.ts). */
export function embedRouter(deps: EmbedRouteDeps): Router {
  const { channelLog, defaultLocale, now = Date.now } = deps;
  const router = Router();

  router.get('/embed/:channel', async (req, res) => {
    const { channel, limit, locale } = parseOr400(
      embedRequest,
      { ...req.query, channel: req.params.channel },
      'invalid_query',
    );
    const label = resolveLocale(locale, defaultLocale);
    const snapshot = await orUnavailable(channelLog.snapshot(channel, limit));
    const at = now();
    const body = renderEmbedFragment({
      channel,
      locale: label,
      cursor: formatCursor(snapshot.epoch, snapshot.seq),
      limit,
      posts: snapshot.posts.map((post) => ({
        ...post,
        ago: formatAgo(post.publishedAt, at, label),
      })),
    });
    // The app turns Express's ETags off (its JSON is always live); this body is stable between
    // posts and label changes, so a hash of it lets an include or a CDN revalidate with a 304.
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    res.set({
      'Cache-Control': `public, max-age=${MAX_AGE_SECONDS}`,
      ETag: etag,
      'X-Content-Type-Options': 'nosniff',
      // Public, read-only and sent without credentials: any page may fetch it, whatever
      // CORS_ORIGINS says about the JSON API.
      'Access-Control-Allow-Origin': '*',
    });
    if (matchesIfNoneMatch(req.get('if-none-match'), etag)) {
      res.status(304).end();
      return;
    }
    res.type('html').send(body);
  });

  return router;
}
