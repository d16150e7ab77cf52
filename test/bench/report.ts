import type { FanoutMeasure, MemoryMeasure } from './scenarios/fanout.js';
import type { IdleResult } from './scenarios/idle.js';
import type { CpuPerItem, IngestResult } from './scenarios/ingest.js';
import type { StormResult } from './scenarios/storm.js';
import { median } from './stats.js';

/**
 * The table of `npm run bench`: per scenario and metric, Khabar's value, each baseline's,
 * the ratio that the target speaks of (taken in each round, then the median over rounds, so
 * a slow round on a shared machine moves every system of that round alike), and whether
 * the target is met.
 */

export interface RoundResults {
  round: number;
  warmup: boolean;
  fanout: FanoutMeasure[];
  memory: MemoryMeasure[];
  ingest?: IngestResult;
  storm?: StormResult;
  idle?: IdleResult;
}

export interface Row {
  scenario: string;
  metric: string;
  khabar: number;
  b0?: number;
  b1?: number;
  b2?: number;
  /** What the target compares, e.g. "÷ B2" with its value. */
  ratio?: { of: string; value: number };
  target?: string;
  met?: boolean;
  note?: string;
}

type Pick = (m: FanoutMeasure) => number;

function fanoutRows(rounds: RoundResults[]): Row[] {
  const rows: Row[] = [];
  const all = rounds.flatMap((r) => r.fanout.map((m) => ({ ...m, round: r.round })));
  const groups = new Map<string, typeof all>();
  for (const m of all) {
    const key = `${m.kind}|${m.clients}|${m.rate}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const largest = Math.max(...all.map((m) => m.clients));
  for (const [key, measures] of groups) {
    const [kind, clientsText, rateText] = key.split('|');
    const clients = Number(clientsText);
    const label = `fanout N=${clients} ${kind === 'burst' ? 'bursts of 10' : `1 post, ${rateText}/s`}`;
    const value = (system: string, pick: Pick): number =>
      median(measures.filter((m) => m.system === system).map(pick));
    const perRound = (
      pick: Pick,
      combine: (k: number, b: number) => number,
      base: string,
    ): number =>
      median(
        rounds.map((r) => {
          const k = measures.find((m) => m.round === r.round && m.system === 'Khabar');
          const b = measures.find((m) => m.round === r.round && m.system === base);
          return k && b ? combine(pick(k), pick(b)) : Number.NaN;
        }),
      );
    const row = (metric: string, pick: Pick): Row => ({
      scenario: label,
      metric,
      khabar: value('Khabar', pick),
      b0: value('B0', pick),
      b1: value('B1', pick),
      b2: value('B2', pick),
    });
    const cpu: Pick = (m) => m.cpuPerDeliveryUs;
    const p99: Pick = (m) => m.fromAccept.p99;
    const cpuRow = row(
      kind === 'burst' ? 'server CPU per delivered post (µs)' : 'server CPU per delivery (µs)',
      cpu,
    );
    const vsB2 = perRound(cpu, (k, b) => k / b, 'B2');
    if (kind === 'burst') {
      rows.push({
        ...cpuRow,
        ratio: { of: '÷ B2', value: vsB2 },
        ...(clients === largest ? { target: '≤ 0.6', met: vsB2 <= 0.6 } : {}),
      });
    } else {
      const vsB1 = perRound(cpu, (k, b) => k / b, 'B1');
      const atLargest = clients === largest;
      rows.push({
        ...cpuRow,
        ratio: { of: '÷ B2', value: vsB2 },
        ...(atLargest ? { target: '≤ 1.0', met: vsB2 <= 1.0 } : {}),
      });
      rows.push({
        ...cpuRow,
        metric: 'server CPU per delivery (µs)',
        ratio: { of: '÷ B1', value: vsB1 },
        ...(atLargest ? { target: '≤ 1.3', met: vsB1 <= 1.3 } : {}),
      });
    }
    rows.push(row('p50 accept → receipt (ms)', (m) => m.fromAccept.p50));
    const p99Diff = perRound(p99, (k, b) => k - b, 'B2');
    const p99Row = row('p99 accept → receipt (ms)', p99);
    if (kind === 'single' && clients === largest) {
      rows.push({
        ...p99Row,
        ratio: { of: '− B2 (ms)', value: p99Diff },
        target: '≤ +10',
        met: p99Diff <= 10,
      });
    } else if (kind === 'single' && clients === 1000) {
      rows.push({ ...p99Row, target: '≤ 25 ms', met: p99Row.khabar <= 25 });
    } else {
      rows.push({ ...p99Row, ratio: { of: '− B2 (ms)', value: p99Diff } });
    }
    rows.push(row('p99 scheduled send → receipt (ms)', (m) => m.latency.p99));
    const delivered = row('deliveries / expected', (m) => m.received / m.expected);
    rows.push({ ...delivered, target: '= 1.0', met: delivered.khabar === 1 });
    const invalid = measures.filter((m) => !m.valid);
    if (invalid.length > 0) {
      rows.push({
        scenario: label,
        metric: 'generator core busy',
        khabar: Math.max(...invalid.map((m) => m.generatorBusy ?? 0)),
        note: `${invalid.length} measure(s) invalid: the generator's core was over 80% busy`,
      });
    }
  }
  return rows;
}

function memoryRows(rounds: RoundResults[]): Row[] {
  const all = rounds.flatMap((r) => r.memory.map((m) => ({ ...m, round: r.round })));
  if (all.length === 0) return [];
  const clients = Math.max(...all.map((m) => m.clients));
  const value = (system: string, pick: (m: MemoryMeasure) => number): number =>
    median(all.filter((m) => m.system === system).map(pick));
  const rows: Row[] = [];
  for (const [metric, pick] of [
    ['heap per idle subscriber (bytes)', (m: MemoryMeasure) => m.heapPerClientBytes],
    ['RSS per idle subscriber (bytes)', (m: MemoryMeasure) => m.rssPerClientBytes],
  ] as const) {
    const ratio = median(
      rounds.map((r) => {
        const k = all.find((m) => m.round === r.round && m.system === 'Khabar');
        const b = all.find((m) => m.round === r.round && m.system === 'B2');
        return k && b ? pick(k) / pick(b) : Number.NaN;
      }),
    );
    rows.push({
      scenario: `memory N=${clients}`,
      metric,
      khabar: value('Khabar', pick),
      b0: value('B0', pick),
      b1: value('B1', pick),
      b2: value('B2', pick),
      ratio: { of: '÷ B2', value: ratio },
      target: '≤ 1.0',
      met: ratio <= 1.0,
    });
  }
  return rows;
}

const total = (cpu: CpuPerItem): number => Object.values(cpu).reduce((a, b) => a + b, 0);

/** "server 610 + worker 420 + redis 240 µs", each the median over rounds. */
function breakdown(rounds: CpuPerItem[]): string {
  const names = Object.keys(rounds[0] ?? {});
  const parts = names.map(
    (name) => `${name} ${median(rounds.map((r) => r[name] ?? 0)).toFixed(0)}`,
  );
  return `${parts.join(' + ')} µs`;
}

function ingestRows(rounds: RoundResults[]): Row[] {
  const results = rounds.flatMap((r) => (r.ingest ? [r.ingest] : []));
  if (results.length === 0) return [];
  const m = (pick: (r: IngestResult) => number): number => median(results.map(pick));
  const ratio = m((r) => r.khabarPerSecond / r.bullmqPerSecond);
  return [
    {
      scenario: 'ingest',
      metric: 'articles/s, POST → stored → pushed (baselines: raw Redis pipeline, BullMQ no-op)',
      khabar: m((r) => r.khabarPerSecond),
      b0: m((r) => r.redisPerSecond),
      b2: m((r) => r.bullmqPerSecond),
      ratio: { of: '÷ BullMQ', value: ratio },
      target: '≥ 0.6',
      met: ratio >= 0.6,
    },
    {
      scenario: 'ingest',
      metric: 'articles/s (B1: Express endpoint that only queues → BullMQ no-op)',
      khabar: m((r) => r.khabarPerSecond),
      b1: m((r) => r.expressBullmqPerSecond),
      ratio: { of: '÷ B1', value: m((r) => r.khabarPerSecond / r.expressBullmqPerSecond) },
    },
    {
      scenario: 'ingest',
      metric: 'CPU per article on the server core (µs, every process)',
      khabar: m((r) => total(r.khabarCpuUs)),
      b1: m((r) => total(r.expressBullmqCpuUs)),
      b2: m((r) => total(r.bullmqCpuUs)),
      note: [
        `Khabar ${breakdown(results.map((r) => r.khabarCpuUs))}`,
        `Express → BullMQ ${breakdown(results.map((r) => r.expressBullmqCpuUs))}`,
        `BullMQ no-op ${breakdown(results.map((r) => r.bullmqCpuUs))}`,
      ].join('; '),
    },
    {
      scenario: 'ingest',
      metric: 'accept p99 (ms) at half the BullMQ rate, open loop',
      khabar: m((r) => r.halfRate.acceptP99Ms),
      target: '< 10 ms',
      met: m((r) => r.halfRate.acceptP99Ms) < 10,
      note: `at ${m((r) => r.halfRate.rate).toFixed(0)}/s`,
    },
    {
      scenario: 'ingest',
      metric: 'pushed / accepted at half the rate',
      khabar: Math.min(...results.map((r) => r.halfRate.pushed / r.halfRate.accepted)),
      target: '= 1.0',
      met: results.every((r) => r.halfRate.pushed === r.halfRate.accepted),
    },
  ];
}

function stormRows(rounds: RoundResults[]): Row[] {
  const results = rounds.flatMap((r) => (r.storm ? [r.storm] : []));
  if (results.length === 0) return [];
  const clients = results[0]?.clients ?? 0;
  const m = (pick: (r: StormResult) => number): number => median(results.map(pick));
  const rows: Row[] = [];
  for (const phase of ['resubscribe', 'reconnect'] as const) {
    const label =
      phase === 'resubscribe'
        ? `storm N=${clients}, resubscribe on open connections`
        : `storm N=${clients}, reconnect and resubscribe`;
    const all = results.every((r) => r[phase].recovered === r.clients);
    rows.push(
      {
        scenario: label,
        metric: 'time until all recovered (ms)',
        khabar: m((r) => r[phase].allRecoveredMs),
        ...(phase === 'resubscribe'
          ? { target: '≤ 2000', met: all && m((r) => r[phase].allRecoveredMs) <= 2000 }
          : {}),
        note: `${Math.min(...results.map((r) => r[phase].recovered))}/${clients} answered recovered: true`,
      },
      {
        scenario: label,
        metric: 'Redis commands per resubscribe',
        khabar: m((r) => r[phase].commandsPerResubscribe),
        target: '≤ 2',
        met: m((r) => r[phase].commandsPerResubscribe) <= 2,
      },
    );
  }
  return rows;
}

function idleRows(rounds: RoundResults[]): Row[] {
  const result = rounds.find((r) => r.idle)?.idle;
  if (!result) return [];
  return [
    {
      scenario: 'idle',
      metric: 'Redis commands/s with no traffic',
      khabar: result.commandsPerSecond,
      target: '< 20',
      met: result.commandsPerSecond < 20,
      note: Object.entries(result.byCommand)
        .map(([c, n]) => `${c} ${n.toFixed(2)}/s`)
        .join(', '),
    },
    {
      scenario: 'idle',
      metric: 'CPU with no traffic (% of a core, server + workers)',
      khabar: result.cpuPercent,
    },
  ];
}

export function buildReport(rounds: RoundResults[]): Row[] {
  const measured = rounds.filter((r) => !r.warmup);
  return [
    ...fanoutRows(measured),
    ...memoryRows(measured),
    ...ingestRows(measured),
    ...stormRows(measured),
    ...idleRows(measured),
  ];
}

const fmt = (v: number | undefined): string =>
  v === undefined || Number.isNaN(v)
    ? ''
    : Math.abs(v) >= 100
      ? v.toFixed(0)
      : Math.abs(v) >= 10
        ? v.toFixed(1)
        : v.toFixed(2);

export function printReport(rows: Row[]): void {
  const table = [
    ['scenario', 'metric', 'Khabar', 'B0', 'B1', 'B2', 'ratio', 'target', ''],
    ...rows.map((r) => [
      r.scenario,
      r.metric,
      fmt(r.khabar),
      fmt(r.b0),
      fmt(r.b1),
      fmt(r.b2),
      r.ratio ? `${fmt(r.ratio.value)} ${r.ratio.of}` : '',
      r.target ?? '',
      r.met === undefined ? '' : r.met ? 'met' : 'MISSED',
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  console.log('');
  for (const row of table)
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
  for (const r of rows) if (r.note) console.log(`  ${r.scenario} · ${r.metric}: ${r.note}`);
}
