import type { RedisClient } from '../../shared/infra/redis.js';
import type { Logger } from 'pino';
import type { Keys } from '../../shared/domain/keys.js';
import { runPeriodically } from '../../shared/infra/periodic.js';
import type { RedisHealth } from '../../shared/infra/redis-health.js';

/**
 * Viewers per channel across every server node. Each node writes its local room sizes to
 * Redis every `intervalMs` with an expiry of three intervals, so a node that dies drops out
 * by itself; readers sum the reports of the nodes still alive. Costs one MULTI per node per
 * interval, whatever the traffic.
 */
export interface Presence {
  start: () => void;
  stop: () => Promise<void>;
  /** Viewers per channel, summed over live nodes. */
  viewers: () => Promise<Map<string, number>>;
}

export interface PresenceDeps {
  redis: RedisClient;
  keys: Keys;
  nodeId: string;
  localViewers: () => Map<string, number>;
  logger: Logger;
  health: RedisHealth;
  intervalMs?: number;
  now?: () => number;
}

export function createPresence({
  redis,
  keys,
  nodeId,
  localViewers,
  logger,
  health,
  intervalMs = 5000,
  now = Date.now,
}: PresenceDeps): Presence {
  const key = keys.presence(nodeId);
  let stopReporting: (() => void) | undefined;

  async function report(): Promise<void> {
    const counts = [...localViewers()].filter(([, viewers]) => viewers > 0);
    const at = now();
    const multi = redis.multi().del(key);
    if (counts.length > 0) multi.hset(key, Object.fromEntries(counts)).pexpire(key, intervalMs * 3);
    await multi
      .zadd(keys.presenceNodes, at + intervalMs * 3, nodeId)
      .zremrangebyscore(keys.presenceNodes, '-inf', at)
      .exec();
  }

  return {
    start() {
      stopReporting ??= runPeriodically(
        report,
        intervalMs,
        health.absorbOr('presence', (err) => {
          logger.debug({ event: 'presence.report_failed', err }, 'presence report failed');
        }),
        { immediately: true },
      );
    },
    async stop() {
      stopReporting?.();
      await redis.multi().del(key).zrem(keys.presenceNodes, nodeId).exec();
    },
    async viewers() {
      const nodes = await redis.zrangebyscore(keys.presenceNodes, now(), '+inf');
      const pipeline = redis.pipeline();
      for (const node of nodes) pipeline.hgetall(keys.presence(node));
      const totals = new Map<string, number>();
      for (const [err, counts] of (await pipeline.exec()) ?? []) {
        if (err) throw err;
        for (const [channel, viewers] of Object.entries(counts as Record<string, string>)) {
          totals.set(channel, (totals.get(channel) ?? 0) + Number(viewers));
        }
      }
      return totals;
    },
  };
}
