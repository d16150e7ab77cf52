/**
 * Content a hub pushed (its signature already checked by the server node that received it) into
 * posts, through the poll's own pipeline (storeFeedDocument), at once.
 */
import type { Logger } from 'pino';
import type { SourceStore } from '../../shared/domain/sources.js';
import type { WebSubJob, WebSubStore } from '../../shared/domain/websub.js';
import { FeedError } from '../../shared/domain/feed/feed-error.js';
import { storeFeedDocument, type StoreFeedDeps } from '../poll/store-feed.js';

export interface DistributionDeps extends StoreFeedDeps {
  store: SourceStore;
  subscriptions: WebSubStore;
  logger: Logger;
  now?: () => number;
}

type PushJob = Extract<WebSubJob, { kind: 'push' }>;

export function createDistribution(deps: DistributionDeps) {
  const { store, subscriptions, logger, now = Date.now } = deps;
  return async function storePush(job: PushJob): Promise<void> {
    const subscription = await subscriptions.get(job.subscriptionId);
    // Unsubscribed or replaced between the server's check and now: as if it had come later.
    if (subscription?.mode !== 'subscribe' || subscription.state !== 'active') {
      logger.info({ event: 'websub.rejected', reason: 'inactive_subscription' }, 'push ignored');
      return;
    }
    const log = logger.child({ sourceId: subscription.sourceId, hub: subscription.hub });
    const source = await store.get(subscription.sourceId);
    if (!source) {
      log.info({ event: 'websub.rejected', reason: 'source_deleted' }, 'push ignored');
      return;
    }
    const at = now();
    let stored;
    try {
      stored = await storeFeedDocument(
        deps,
        source.config,
        {
          body: Buffer.from(job.body, 'base64'),
          feedUrl: subscription.topic,
          ...(job.contentType === undefined ? {} : { contentType: job.contentType }),
        },
        at,
      );
    } catch (err) {
      // The hub's content will never parse: no retry (a storage failure is retried).
      if (!(err instanceof FeedError)) throw err;
      const error = `The hub pushed something that is not a feed: ${err.code}: ${err.message}`;
      await subscriptions.savePush(subscription.sourceId, { error }, subscription.id);
      log.warn({ event: 'websub.rejected', reason: err.code, error }, 'push ignored');
      return;
    }
    const lastPushAt = new Date(job.receivedAt).toISOString();
    await subscriptions.savePush(
      subscription.sourceId,
      { lastPushAt, error: null },
      subscription.id,
    );
    log.info(
      {
        event: 'websub.push',
        items: stored.feed.items.length,
        added: stored.added,
        updated: stored.updated,
        waitedMs: at - job.receivedAt,
      },
      'hub pushed content',
    );
  };
}
