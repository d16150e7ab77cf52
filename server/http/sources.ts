import express, { Router } from 'express';
import { z } from 'zod';
import { canonicalUrl } from '../../shared/domain/article/post-id.js';
import { DEFAULT_CHANNEL } from '../../shared/contract/channel.js';
import type {
  PollQueued,
  SourceConfig,
  SourceRequest,
  SourcesAnswer,
  SourceView,
} from '../../shared/contract/http.js';
import { appError, type BlockedAddress } from '../../shared/infra/errors.js';
import { policyFromConfig, type AddressPolicy } from '../../shared/domain/address-guard.js';
import { discoverFeed } from '../../shared/domain/feed/discover-feed.js';
import {
  pollNow,
  scheduleSource,
  sourceIdFor,
  SOURCE_ID_PATTERN,
  sourceView,
  unscheduleSource,
  type PollQueue,
  type SourceStore,
  type StoredSource,
} from '../../shared/domain/sources.js';
import { channelField, parseOr400 } from '../validation.js';
import { orUnavailable } from './unavailable.js';

export interface SourcesRouteDeps {
  store: SourceStore;
  queue: PollQueue;
  /** Runs first on every change: ingest token, then rate limit. */
  guard: express.RequestHandler[];
  /** Runs first on reads: an ingest or a newsroom token (the dashboard lists sources). */
  readGuard: express.RequestHandler[];
  allowPrivateFeeds: boolean;
  /** Resolves with a reason when the URL's host is not allowed (private network), else null. */
  refuseHost: (url: URL) => Promise<BlockedAddress | null>;
  /**
   * Which addresses the fetch that tells a page from a feed may connect to; by default the
   * poller's (`allowPrivateFeeds`).
   */
  fetchPolicy?: AddressPolicy;
  /** After a source is deleted, with what it was: unsubscribes from its WebSub hub. */
  onDeleted?: (source: StoredSource) => Promise<void>;
  now?: () => number;
}

export const MAX_INTERVAL_SECONDS = 86_400;

/**
 * `POST /api/sources` body; `minInterval` is 1 with ALLOW_PRIVATE_FEEDS (tests), else 30.
 * Exported for the API description (server/http/openapi/).
 */
export function sourceBody(minInterval: number) {
  return z.object(
    {
      url: z
        .string({ error: 'url must be the feed address, such as https://example.com/feed' })
        .max(2048, 'url must be at most 2048 characters')
        .refine((text) => {
          try {
            const url = new URL(text);
            return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
          } catch {
            return false;
          }
        }, 'url must be an absolute http: or https: URL, such as https://example.com/feed'),
      channels: z
        .array(
          channelField((name) => `"${name}"`),
          { error: 'channels must be a list of channel names, such as ["bihar"]' },
        )
        .min(1, 'channels must name at least one channel, or be left out to post to "top"')
        .max(10, 'channels must name at most 10 channels')
        .default([DEFAULT_CHANNEL]),
      intervalSeconds: z
        .number({
          error: `intervalSeconds must be a number of seconds from ${minInterval} to ${MAX_INTERVAL_SECONDS}, such as 300`,
        })
        .int(`intervalSeconds must be a whole number of seconds, such as 300`)
        .min(
          minInterval,
          `intervalSeconds must be at least ${minInterval}: polling faster hammers the publisher`,
        )
        .max(
          MAX_INTERVAL_SECONDS,
          `intervalSeconds must be at most ${MAX_INTERVAL_SECONDS} (a day)`,
        )
        .default(300),
    },
    {
      error:
        'The body must be a JSON object such as {"url": "https://example.com/feed", "channels": ["bihar"]}',
    },
  ) satisfies z.ZodType<unknown, SourceRequest>;
}

/** The shortest poll interval a source may ask for: 1 s only where private feeds are allowed (tests). */
export function minIntervalSeconds(allowPrivateFeeds: boolean): number {
  return allowPrivateFeeds ? 1 : 30;
}

const notFound = (id: string) => appError('not_found', { source: id });

export function sourcesRouter(deps: SourcesRouteDeps): Router {
  const { store, queue, guard, readGuard, allowPrivateFeeds, refuseHost, onDeleted } = deps;
  const now = deps.now ?? Date.now;
  const fetchPolicy = deps.fetchPolicy ?? policyFromConfig({ allowPrivateFeeds });
  const refuse = async (url: string): Promise<void> => {
    if (allowPrivateFeeds) return;
    const reason = await refuseHost(new URL(url));
    if (reason) throw appError('blocked_address', reason);
  };
  const router = Router();
  const body = sourceBody(minIntervalSeconds(allowPrivateFeeds));
  const idParam = (value: unknown): string => {
    const id = typeof value === 'string' ? value : '';
    if (!SOURCE_ID_PATTERN.test(id)) throw notFound(id);
    return id;
  };

  router.post(
    '/api/sources',
    ...guard,
    express.json({ limit: '16kb', strict: false }),
    async (req, res) => {
      if (!req.is('application/json')) {
        throw appError('unsupported_media_type');
      }
      const parsed = parseOr400(body, req.body, 'invalid_source');
      const { channels, intervalSeconds } = parsed;
      const given = canonicalUrl(parsed.url);
      // Refused before anything is sent to it; the fetch re-vets every address it connects to.
      await refuse(given);
      const { feedUrl, page } = await discoverFeed(given, { policy: fetchPolicy });
      const url = canonicalUrl(feedUrl);
      // A public page may name a feed on a private address: the feed is vetted like any other.
      if (page !== undefined) await refuse(url);
      const config: SourceConfig = {
        id: sourceIdFor(url),
        url,
        ...(page === undefined ? {} : { page }),
        channels: [...new Set(channels)],
        intervalSeconds,
        createdAt: new Date(now()).toISOString(),
      };
      const created = await orUnavailable(
        store.create(config, { consecutiveErrors: 0, nextPollAt: config.createdAt }),
      );
      if (!created) {
        throw appError('source_exists', { id: config.id });
      }
      await orUnavailable(Promise.all([scheduleSource(queue, config), pollNow(queue, config.id)]));
      res.status(201).json(
        sourceView({
          config,
          state: { consecutiveErrors: 0, nextPollAt: config.createdAt },
        }) satisfies SourceView,
      );
    },
  );

  router.get('/api/sources', ...readGuard, async (_req, res) => {
    const sources = await orUnavailable(store.list());
    res.json({
      sources: sources.map((source) => sourceView(source, now())),
    } satisfies SourcesAnswer);
  });

  router.get('/api/sources/:id', ...readGuard, async (req, res) => {
    const id = idParam(req.params.id);
    const source = await orUnavailable(store.get(id));
    if (!source) throw notFound(id);
    res.json(sourceView(source, now()) satisfies SourceView);
  });

  router.delete('/api/sources/:id', ...guard, async (req, res) => {
    const id = idParam(req.params.id);
    const before = onDeleted ? await orUnavailable(store.get(id)) : null;
    await orUnavailable(unscheduleSource(queue, id));
    if (!(await orUnavailable(store.remove(id)))) throw notFound(id);
    if (before && onDeleted) await orUnavailable(onDeleted(before));
    res.status(204).end();
  });

  router.post('/api/sources/:id/poll', ...guard, async (req, res) => {
    const id = idParam(req.params.id);
    if (!(await orUnavailable(store.get(id)))) throw notFound(id);
    res.status(202).json({ jobId: await orUnavailable(pollNow(queue, id)) } satisfies PollQueued);
  });

  return router;
}
