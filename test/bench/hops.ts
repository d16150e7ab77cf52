/**
 * The hops of Khabar's path to its readers, from the server node's `khabar_fanout_hop_seconds`
 * histogram (server/metrics.ts: queue, script, read, write): read before and after a window,
 * the difference is that window's events, and each hop's quantiles come from its buckets.
 */

import { FANOUT_HOPS, type FanoutHop } from '../../server/metrics.js';

/** A hop's name, as the server labels it. */
export type Hop = FanoutHop;

/** hop → cumulative count at each bucket bound (seconds, +Inf last). */
export type HopBuckets = Map<Hop, Map<number, number>>;

export interface HopSummary {
  count: number;
  /** ms, interpolated within the bucket the rank falls in. */
  p50: number;
  p99: number;
}

/** A bucket's line; prom-client writes `le` first, Prometheus would not mind either order. */
const BUCKET_LINE = /^khabar_fanout_hop_seconds_bucket\{([^}]*)\} (\d+)$/;
const label = (labels: string, name: string): string | undefined =>
  new RegExp(`(?:^|,)${name}="([^"]*)"`).exec(labels)?.[1];

export function parseHopBuckets(metricsText: string): HopBuckets {
  const hops: HopBuckets = new Map();
  for (const line of metricsText.split('\n')) {
    const match = BUCKET_LINE.exec(line);
    if (!match) continue;
    const [, labels = '', count] = match;
    const hop = FANOUT_HOPS.find((h) => h === label(labels, 'hop'));
    const le = label(labels, 'le');
    if (hop === undefined || le === undefined) continue;
    let buckets = hops.get(hop);
    if (!buckets) hops.set(hop, (buckets = new Map<number, number>()));
    buckets.set(le === '+Inf' ? Infinity : Number(le), Number(count));
  }
  return hops;
}

/**
 * The value under which `q` of the window's observations fall: linear within its bucket, as
 * Prometheus's histogram_quantile does; the highest finite bound when it falls in +Inf.
 */
function bucketQuantile(bounds: number[], counts: number[], q: number): number {
  const total = counts[counts.length - 1] ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const upper = bounds[i] as number;
    const count = counts[i] as number;
    if (count >= rank) {
      if (!Number.isFinite(upper)) return lower;
      const inBucket = count - below;
      return inBucket > 0 ? lower + ((upper - lower) * (rank - below)) / inBucket : upper;
    }
    lower = upper;
    below = count;
  }
  return lower;
}

/** Each hop's count, p50 and p99 (ms) over the events between two readings. */
export function hopsBetween(before: HopBuckets, after: HopBuckets): Record<Hop, HopSummary> {
  const out = {} as Record<Hop, HopSummary>;
  for (const hop of FANOUT_HOPS) {
    const end = after.get(hop) ?? new Map<number, number>();
    const start = before.get(hop) ?? new Map<number, number>();
    const bounds = [...end.keys()].sort((a, b) => a - b);
    const counts = bounds.map((le) => (end.get(le) ?? 0) - (start.get(le) ?? 0));
    out[hop] = {
      count: counts[counts.length - 1] ?? 0,
      p50: bucketQuantile(bounds, counts, 0.5) * 1000,
      p99: bucketQuantile(bounds, counts, 0.99) * 1000,
    };
  }
  return out;
}
