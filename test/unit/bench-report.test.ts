import assert from 'node:assert/strict';
import { buildReport, ratioText, withSpread, type RoundResults } from '../bench/report.js';
import type { FanoutMeasure, MemoryMeasure } from '../bench/scenarios/fanout.js';
import type { IngestResult } from '../bench/scenarios/ingest.js';
import type { StormResult } from '../bench/scenarios/storm.js';
import { hopsBetween, parseHopBuckets } from '../bench/hops.js';
import { median, quantile, spread, summarize } from '../bench/stats.js';

const summary = (p99: number) => ({ count: 10, p50: p99 / 2, p99, max: p99, mean: p99 / 2 });

function measure(
  system: string,
  cpu: number,
  p99: number,
  kind: 'single' | 'burst' = 'single',
): FanoutMeasure {
  return {
    system,
    clients: 10_000,
    kind,
    rate: 1,
    posts: 10,
    received: 100_000,
    expected: 100_000,
    latency: summary(p99),
    fromAccept: summary(p99),
    slowestPerArticle: [],
    cpuPerDeliveryUs: cpu,
    generatorBusy: 0.5,
    valid: true,
  };
}

function round(round: number, khabarCpu: number, b2Cpu: number): RoundResults {
  return {
    round,
    warmup: round === 0,
    fanout: [
      measure('B0', 8, 100),
      measure('B1', 10, 120),
      measure('B2', b2Cpu, 150),
      measure('Khabar', khabarCpu, 155),
    ],
    memory: [],
  };
}

describe('the benchmark report', () => {
  it('takes each ratio within a round, then the median over rounds, without the warm-up', () => {
    // Rounds drift together (a slow minute slows every system): per-round ratios see through it.
    const rows = buildReport([
      round(0, 100, 1),
      round(1, 9, 18),
      round(2, 18, 36),
      round(3, 10, 18),
    ]);
    const vsB2 = rows.find((r) => r.ratio?.of === '÷ B2' && r.metric.startsWith('server CPU'));
    assert.ok(vsB2?.ratio);
    assert.equal(vsB2.ratio.value, 0.5); // 0.5, 0.5, 0.56: the warm-up's 100 is not counted
    assert.equal(vsB2.met, true);
    // The spread is over the measured rounds too: Khabar 9, 18, 10; ratios 0.5, 0.5, 0.56.
    assert.deepEqual(vsB2.khabarSpread, { min: 9, max: 18 });
    assert.equal(vsB2.khabar, 10);
    assert.equal(vsB2.ratio.spread?.min, 0.5);
    assert.equal(vsB2.ratio.spread.max, 10 / 18);
    const p99 = rows.find((r) => r.metric === 'p99 accept → receipt (ms)');
    assert.ok(p99?.ratio);
    assert.equal(p99.ratio.value, 5);
    assert.equal(p99.met, true); // within B2 + 10 ms
  });

  it('says MISSED where Khabar is slower than the target allows', () => {
    const rows = buildReport([round(1, 30, 18), round(2, 31, 18), round(3, 29, 18)]);
    const vsB1 = rows.find((r) => r.ratio?.of === '÷ B1');
    assert.ok(vsB1?.ratio);
    assert.equal(vsB1.met, false);
    assert.ok(vsB1.ratio.value > 2.9);
  });

  it("puts the 1k row's p99 beside B3's, the floor of a queued path, where B3 ran", () => {
    const at1k = (m: FanoutMeasure): FanoutMeasure => ({ ...m, clients: 1000, rate: 2 });
    const rounds = [1, 2, 3].map((n) => {
      const r = round(n, 10, 18);
      // 10k is the largest step, with its own targets; B3 ran at 1k only.
      return { ...r, fanout: [...r.fanout, ...[...r.fanout, measure('B3', 11, 50 * n)].map(at1k)] };
    });
    const p99 = (of: string) =>
      buildReport(rounds).find(
        (r) =>
          r.scenario.startsWith('fanout N=1000 ') &&
          r.metric === 'p99 accept → receipt (ms)' &&
          r.ratio?.of === of,
      );
    assert.equal(p99('÷ B1')?.target, '≤ 1.0');
    const vsB3 = p99('÷ B3');
    assert.ok(vsB3?.ratio);
    assert.equal(vsB3.b3, 100);
    assert.equal(vsB3.target, undefined); // the floor explains the mark; it is not one
    assert.equal(vsB3.ratio.value, 155 / 100); // rounds 3.1, 1.55, 1.03
    assert.deepEqual(vsB3.ratio.spread, { min: 155 / 150, max: 155 / 50 });
    // Without B3 (a run from before it, or --steps without 1000) there is no such row.
    const without = buildReport([1, 2, 3].map((n) => round(n, 10, 18)));
    assert.equal(
      without.some((r) => r.ratio?.of === '÷ B3'),
      false,
    );
  });

  it("reports ingest against the Express → BullMQ floor and addBulk, and where an article's CPU goes", () => {
    const ingest = (
      khabar: number,
      express: number,
      server: number,
      batch = { khabar: 3000, bulk: 5000 },
    ): IngestResult => ({
      items: 1500,
      inFlight: 64,
      warmup: 1500,
      batch: { size: 100, items: 3000, inFlight: 4 },
      redisPerSecond: 6000,
      bullmqPerSecond: 3000,
      khabarPerSecond: khabar,
      expressBullmqPerSecond: express,
      bullmqCpuUs: { consumer: 200, redis: 100 },
      expressBullmqCpuUs: { server: 300, consumer: 200, redis: 100 },
      khabarCpuUs: { server, worker: 500, redis: 200 },
      bulkPerSecond: batch.bulk,
      bulkCpuUs: { consumer: 50, redis: 30 },
      khabarBatchPerSecond: batch.khabar,
      khabarBatchCpuUs: { server: 40, worker: 200, redis: 60 },
      halfRate: {
        rate: khabar / 2,
        accepted: 10,
        pushed: 10,
        acceptP50Ms: 1,
        acceptP99Ms: 4,
        floorAcceptP99Ms: 2,
      },
    });
    const rows = buildReport(
      [
        ingest(500, 1000, 1000, { khabar: 2000, bulk: 5000 }),
        ingest(600, 1000, 900),
        ingest(2000, 1000, 300, { khabar: 3000, bulk: 4000 }),
      ].map((result, i) => ({ ...round(i + 1, 9, 18), ingest: result })),
    );
    // Single articles against the Express → BullMQ floor: 0.5, 0.6, 2 a round.
    const rate = rows.find((r) => r.metric.startsWith('articles/s') && r.target === '≥ 0.8');
    assert.ok(rate?.ratio);
    assert.equal(rate.ratio.of, '÷ B1');
    assert.equal(rate.ratio.value, 0.6);
    assert.deepEqual(rate.ratio.spread, { min: 0.5, max: 2 });
    assert.deepEqual(rate.khabarSpread, { min: 500, max: 2000 });
    assert.equal(rate.met, false);
    // Batches against addBulk: 0.4, 0.6, 0.75 a round.
    const bulk = rows.find((r) => r.target === '≥ 0.5');
    assert.ok(bulk?.ratio);
    assert.equal(bulk.ratio.value, 0.6);
    assert.deepEqual(bulk.ratio.spread, { min: 0.4, max: 0.75 });
    assert.equal(bulk.b2, 5000);
    assert.equal(bulk.met, true);
    const cpu = rows.find((r) => r.metric.startsWith('CPU per article'));
    assert.equal(cpu?.khabar, 1600);
    assert.equal(cpu.b1, 600);
    assert.equal(cpu.b2, 300);
    assert.match(cpu.note ?? '', /Khabar server 900 \+ worker 500 \+ redis 200 µs/);
    const accept = rows.find((r) => r.metric.startsWith('accept p99'));
    assert.equal(accept?.met, true);
    // Half Khabar's own median rate, not BullMQ's; the floor ran the same loop.
    assert.equal(accept.note, 'at 300/s, the same open loop and rate for both');
    assert.equal(accept.b1, 2);
    assert.equal(accept.ratio?.value, 2);
  });

  it("compares idle CPU at the largest N to B2's, where the plain window was measured", () => {
    const idle = (system: string, percent: number | undefined): MemoryMeasure => ({
      system,
      clients: 10_000,
      heapPerClientBytes: 1000,
      rssPerClientBytes: 2000,
      ...(percent === undefined ? {} : { idleCpuPercent: percent, idleWindowMs: 5000 }),
    });
    const withIdle = (n: number, khabar: number, b2: number): RoundResults => ({
      ...round(n, 9, 18),
      memory: [idle('B0', 0.1), idle('B1', 0.2), idle('B2', b2), idle('Khabar', khabar)],
    });
    const rows = buildReport([withIdle(1, 3, 1), withIdle(2, 5, 2), withIdle(3, 1.5, 1)]);
    const row = rows.find((r) => r.scenario === 'idle N=10000');
    assert.ok(row?.ratio);
    assert.equal(row.khabar, 3);
    assert.equal(row.b2, 1);
    assert.equal(row.ratio.value, 2.5); // 3, 2.5, 1.5
    assert.deepEqual(row.ratio.spread, { min: 1.5, max: 3 });
    assert.equal(row.target, '≤ 2.0');
    assert.equal(row.met, false);
    // Without the window (an older run, or the warm-up's plan), no row.
    const without = buildReport([{ ...round(1, 9, 18), memory: [idle('Khabar', undefined)] }]);
    assert.equal(
      without.find((r) => r.scenario.startsWith('idle N=')),
      undefined,
    );
  });

  it("compares Khabar's reconnect storm to B2's in the same round", () => {
    const storm = (khabarMs: number, b2Ms: number, b2Connected = 5000): StormResult => {
      const phase = {
        allRecoveredMs: khabarMs,
        recovered: 5000,
        commandsPerResubscribe: 1,
        commands: {},
      };
      return {
        clients: 5000,
        missed: 5,
        resubscribe: phase,
        reconnect: { ...phase, failed: 0 },
        b2Reconnect: { allConnectedMs: b2Ms, connected: b2Connected, failed: 0 },
      };
    };
    const rounds = (results: StormResult[]): RoundResults[] =>
      results.map((result, i) => ({ ...round(i + 1, 9, 18), storm: result }));
    const vsB2 = (results: StormResult[]) =>
      buildReport(rounds(results)).find((r) => r.target === '≤ 1.2');
    const met = vsB2([storm(1100, 1000), storm(2000, 1800), storm(900, 1000)]);
    assert.ok(met?.ratio);
    assert.equal(met.ratio.value, 1.1); // 1.1, 1.11, 0.9
    assert.deepEqual(met.ratio.spread, { min: 0.9, max: 2000 / 1800 });
    assert.equal(met.khabar, 1100);
    assert.equal(met.b2, 1000);
    assert.equal(met.met, true);
    assert.equal(vsB2([storm(1300, 1000), storm(1300, 1000)])?.met, false);
    // A B2 client that did not come back makes its time meaningless.
    assert.equal(vsB2([storm(1000, 1000, 4999)])?.met, false);
  });

  it('prints each spread compactly', () => {
    assert.equal(withSpread(10, { min: 9, max: 11 }), '10.0 ±10%');
    assert.equal(withSpread(10, undefined), '10.0');
    assert.equal(withSpread(0, { min: -1, max: 1 }), '0.00 ±1.00');
    assert.equal(
      ratioText({ of: '÷ B2', value: 0.87, spread: { min: 0.8, max: 0.95 } }),
      '0.87 ÷ B2 [0.80–0.95]',
    );
    assert.equal(ratioText({ of: '÷ B2', value: 0.87 }), '0.87 ÷ B2');
  });

  it('computes nearest-rank quantiles and medians', () => {
    const values = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(quantile(values, 0.99), 99);
    assert.equal(quantile(values, 0.5), 50);
    assert.deepEqual(summarize([3, 1, 2]), { count: 3, p50: 2, p99: 3, max: 3, mean: 2 });
    assert.equal(median([5, Number.NaN, 1, 3]), 3);
    assert.equal(median([1, 2, 3, 4]), 2.5);
    assert.deepEqual(spread([5, Number.NaN, 1, 3]), { min: 1, max: 5 });
    assert.equal(spread([5]), undefined); // one round has no spread
  });

  it("reads a window's hop quantiles from the histogram's buckets, as histogram_quantile does", () => {
    const text = (counts: number[]): string =>
      ['0.001', '0.002', '0.005', '+Inf']
        .map((le, i) => `khabar_fanout_hop_seconds_bucket{le="${le}",hop="read"} ${counts[i]}`)
        .join('\n');
    // Before the window: 4 events under 1 ms. In it: 10 more, 5 in 1–2 ms and 5 in 2–5 ms.
    const { read, queue } = hopsBetween(
      parseHopBuckets(text([4, 4, 4, 4])),
      parseHopBuckets(text([4, 9, 14, 14])),
    );
    assert.equal(read.count, 10);
    assert.equal(read.p50, 2);
    assert.ok(Math.abs(read.p99 - 4.94) < 1e-9, String(read.p99));
    assert.equal(queue.count, 0);
    assert.ok(Number.isNaN(queue.p99));
  });
});
