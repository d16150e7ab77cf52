import { Router } from 'express';
import type { RedisClient } from '../../shared/infra/redis.js';
import { z } from 'zod';
import type {
  ChannelsAnswer,
  HealthAnswer,
  PostsAnswer,
  ReadyAnswer,
} from '../../shared/contract/http.js';
import type { ChannelLog } from '../../shared/domain/channel-log.js';
import { DEFAULT_CHANNEL } from '../../shared/contract/channel.js';
import { channelField, limitField, localeField, parseOr400 } from '../validation.js';
import { formatCursor } from '../../shared/contract/cursor.js';
import { presentPost } from '../../shared/contract/present.js';
import { resolveLocale } from '../../shared/contract/relative-time.js';
import { orUnavailable } from './unavailable.js';

export interface PostsRouteDeps {
  channelLog: ChannelLog;
  redis: RedisClient;
  /**
   * A key of Khabar's data slot: /readyz asks for it, so on a Cluster the answer comes from the
   * master that holds the data (a PING would reach any node, even one whose master is down).
   */
  readyKey: string;
  defaultLocale: string;
  /** Viewers per channel, summed over every server node. */
  viewers: () => Promise<Map<string, number>>;
  now?: () => number;
}

/** `GET /api/posts` query; exported for the API description (server/http/openapi/). */
export const postsQuery = z.object({
  channel: channelField((name) => `channel=${name}`).default(DEFAULT_CHANNEL),
  limit: limitField(100, 20),
  locale: localeField,
  before: z
    .string({ error: 'before must be one ISO date, such as before=2024-06-19T10:00:00Z' })
    .refine(
      (v) => !Number.isNaN(Date.parse(v)),
      'before must be an ISO date, such as before=2024-06-19T10:00:00Z',
    )
    .optional(),
});

export function postsRouter(deps: PostsRouteDeps): Router {
  const { channelLog, redis, readyKey, defaultLocale, viewers, now = Date.now } = deps;
  const router = Router();

  router.get('/api/posts', async (req, res) => {
    const { channel, limit, locale, before } = parseOr400(postsQuery, req.query, 'invalid_query');
    const label = resolveLocale(locale, defaultLocale);
    const snapshot = await orUnavailable(
      channelLog.snapshot(channel, limit, before === undefined ? undefined : Date.parse(before)),
    );
    const at = now();
    res.json({
      channel,
      serverTime: new Date(at).toISOString(),
      cursor: formatCursor(snapshot.epoch, snapshot.seq),
      posts: snapshot.posts.map((post) => presentPost(post, at, label)),
    } satisfies PostsAnswer);
  });

  router.get('/api/channels', async (_req, res) => {
    const [channels, counts] = await orUnavailable(Promise.all([channelLog.channels(), viewers()]));
    res.json(
      channels.map(({ channel, posts, lastPublishedMs }) => ({
        channel,
        posts,
        lastPublishedAt: lastPublishedMs === null ? null : new Date(lastPublishedMs).toISOString(),
        viewers: counts.get(channel) ?? 0,
      })) satisfies ChannelsAnswer,
    );
  });

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' } satisfies HealthAnswer);
  });

  router.get('/readyz', async (_req, res) => {
    await orUnavailable(redis.exists(readyKey), 1000);
    res.json({ status: 'ready' } satisfies ReadyAnswer);
  });

  return router;
}
