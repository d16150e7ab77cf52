import assert from 'node:assert/strict';
import { buildReport, type RoundResults } from '../bench/report.js';
import type { FanoutMeasure } from '../bench/scenarios/fanout.js';
import type { IngestResult } from '../bench/scenarios/ingest.js';
import { median, quantile, summarize } from '../bench/stats.js';

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

  it('reports ingest as a ratio to BullMQ, and where the CPU time of an article goes', () => {
    const ingest = (khabar: number, bullmq: number, server: number): IngestResult => ({
      items: 1500,
      inFlight: 64,
      redisPerSecond: 6000,
      bullmqPerSecond: bullmq,
      khabarPerSecond: khabar,
      expressBullmqPerSecond: 1000,
      bullmqCpuUs: { consumer: 200, redis: 100 },
      expressBullmqCpuUs: { server: 300, consumer: 200, redis: 100 },
      khabarCpuUs: { server, worker: 500, redis: 200 },
      halfRate: { rate: bullmq / 2, accepted: 10, pushed: 10, acceptP50Ms: 1, acceptP99Ms: 4 },
    });
    const rows = buildReport(
      [ingest(500, 3000, 1000), ingest(600, 3000, 900), ingest(2000, 3000, 300)].map(
        (result, i) => ({ ...round(i + 1, 9, 18), ingest: result }),
      ),
    );
    const rate = rows.find((r) => r.metric.startsWith('articles/s'));
    assert.ok(rate?.ratio);
    assert.equal(rate.ratio.value, 0.2); // the median of 0.17, 0.2 and 0.67
    assert.equal(rate.met, false);
    const cpu = rows.find((r) => r.metric.startsWith('CPU per article'));
    assert.equal(cpu?.khabar, 1600);
    assert.equal(cpu.b1, 600);
    assert.equal(cpu.b2, 300);
    assert.match(cpu.note ?? '', /Khabar server 900 \+ worker 500 \+ redis 200 µs/);
    const accept = rows.find((r) => r.metric.startsWith('accept p99'));
    assert.equal(accept?.met, true);
  });

  it('computes nearest-rank quantiles and medians', () => {
    const values = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(quantile(values, 0.99), 99);
    assert.equal(quantile(values, 0.5), 50);
    assert.deepEqual(summarize([3, 1, 2]), { count: 3, p50: 2, p99: 3, max: 3, mean: 2 });
    assert.equal(median([5, Number.NaN, 1, 3]), 3);
    assert.equal(median([1, 2, 3, 4]), 2.5);
  });
});
