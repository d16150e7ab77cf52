/** Order statistics for the benchmark's tables. */

export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** The value below which `q` (0–1) of the sorted values fall (nearest rank). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export function summarize(values: Float64Array | number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/** The median of the rounds' values (NaN ignored): one noisy round does not move it. */
export function median(values: number[]): number {
  const kept = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (kept.length === 0) return Number.NaN;
  const mid = Math.floor(kept.length / 2);
  return kept.length % 2
    ? (kept[mid] as number)
    : ((kept[mid - 1] as number) + (kept[mid] as number)) / 2;
}

/** Least-squares line through the points: y ≈ intercept + slope · x (NaN with one x only). */
export function linearFit(points: readonly { x: number; y: number }[]): {
  intercept: number;
  slope: number;
} {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : Number.NaN;
  return { intercept: my - slope * mx, slope };
}

/** The lowest and highest of a figure's values over the measured rounds. */
export interface Spread {
  min: number;
  max: number;
}

/**
 * The spread of the rounds' values (NaN ignored), undefined with fewer than two: with it beside
 * a median, a reader can tell a difference between systems from the rounds' noise.
 */
export function spread(values: number[]): Spread | undefined {
  const kept = values.filter((v) => !Number.isNaN(v));
  if (kept.length < 2) return undefined;
  return { min: Math.min(...kept), max: Math.max(...kept) };
}

/** A figure over rounds: the median, and the rounds' spread where there are two or more. */
export function overRounds(values: number[]): { value: number; spread?: Spread } {
  const range = spread(values);
  return { value: median(values), ...(range ? { spread: range } : {}) };
}
