import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { parseArgs } from 'node:util';
import { HEARTBEAT_ENV, pin, PINNING, startChild } from './proc.js';
import { buildReport, printReport, type RoundResults } from './report.js';
import { runFanout, type FanoutPlan, type FanoutStep } from './scenarios/fanout.js';
import { runIdle } from './scenarios/idle.js';
import { runIngest } from './scenarios/ingest.js';
import { parseScaleoutPlan, runScaleout } from './scenarios/scaleout.js';
import { runSse } from './scenarios/sse.js';
import { runStorm } from './scenarios/storm.js';
import {
  startBaseline,
  startBenchRedis,
  startKhabar,
  startQueueFloor,
  type System,
} from './systems.js';

/**
 * `npm run bench`: Khabar against its baselines in the same run, interleaved (B0, B1, B2,
 * B3, Khabar, B0, …), on the same payload and the same load generator; a warm-up round first,
 * then `--rounds` measured ones. Prints the table and writes bench-results.json.
 *
 *   npm run bench                      the quick run (under ten minutes on 2 cores; scaleout and sse only on request)
 *   npm run bench -- --full            the whole grid: every N at 0.2 … 10 posts/s
 *   npm run bench -- --only fanout     one scenario (fanout, memory, ingest, storm, idle, scaleout)
 *   npm run bench -- --only sse        Server-Sent Events against Socket.IO (1,000 clients; only on request)
 *   npm run bench -- --only scaleout --scaleout-steps 1x500,2x500 --scaleout-rate 5
 *                                      nodes × subscribers per node, posts/s, --scaleout-seconds
 */

const { values: args } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    steps: { type: 'string' },
    out: { type: 'string', default: 'bench-results.json' },
    'scaleout-steps': { type: 'string', default: '1x1000,2x1000,3x1000,1x3000' },
    'scaleout-rate': { type: 'string', default: '10' },
    'scaleout-seconds': { type: 'string', default: '15' },
  },
});

const rounds = Number(args.rounds);
const only = args.only;
const named = (scenario: string): boolean => only?.split(',').includes(scenario) ?? false;
const wanted = (scenario: string): boolean => only === undefined || named(scenario);

/**
 * The quick run measures each N at a rate where one post's fan-out is over before the next
 * (1/s at 10k, where it takes 100–150 ms), with bursts at the largest N; the full grid runs
 * every N at every rate from 0.2 to 10 posts/s, past the knee, with bursts at each N: 20 posts
 * at each rate, but 30 s' worth where that is fewer (6 at 0.2/s), to keep the grid near 16 min
 * a round.
 */
const GRID_RATES = [0.2, 1, 2, 5, 10];
function plan(): FanoutPlan {
  // The quick run measures the two N its targets name; 5k, which none names, is in the grid.
  const sizes = args.steps
    ? args.steps.split(',').map(Number)
    : args.full
      ? [1000, 5000, 10_000]
      : [1000, 10_000];
  const largest = Math.max(...sizes);
  const step = (clients: number): FanoutStep =>
    args.full
      ? {
          clients,
          singles: GRID_RATES.map((rate) => ({ rate, posts: Math.min(20, rate * 30) })),
          bursts: 5,
        }
      : clients === largest
        ? { clients, singles: [{ rate: 1, posts: 10 }], bursts: 2 }
        : { clients, singles: [{ rate: 2, posts: 4 }], bursts: 0 };
  // The idle row's plain windows, at the largest N only: 5 s each, a whole period of Khabar's
  // presence report (and two of its 2 s failover checks), on the Socket.IO servers; the lower of
  // two is kept (see FanoutStep.idleWindowMs).
  return {
    steps: sizes.map((clients) =>
      clients === largest ? { ...step(clients), idleWindowMs: 5000 } : step(clients),
    ),
  };
}
const fanoutPlan = plan();
const withoutIdleWindow = (of: FanoutPlan): FanoutPlan => ({
  steps: of.steps.map(({ idleWindowMs: _, ...step }) => step),
});
/**
 * Scale-out: 1, 2, 3 nodes with the same subscribers each, then one node with as many as the
 * three had, to tell what follows the nodes from what follows the readers (about 35 s a step).
 */
const scaleoutPlan = parseScaleoutPlan({
  steps: args['scaleout-steps'],
  rate: args['scaleout-rate'],
  seconds: args['scaleout-seconds'],
});
/**
 * Heartbeats every 10 min: none falls in a fan-out or scale-out window (see HEARTBEAT_ENV),
 * where the server nodes' CPU is read per delivery.
 */
const FANOUT_ENV = { [HEARTBEAT_ENV]: String(10 * 60_000) };
/**
 * What the quick run measures in its first round only (and B0 in the warm-up too), so that it
 * stays under ten minutes; `--full` and `--only` runs measure them in every round:
 * - B0, the floor, which no target uses (a minute), so its column has no spread;
 * - the idle row's plain windows (about 20 s a round), idling at the floor of this machine's
 *   wake-ups (BENCHMARKS.md "Idle CPU at 10k"), as the `idle` scenario runs once.
 */
const measuredInRound = (round: number): boolean => args.full || only !== undefined || round <= 1;
/**
 * B3, the floor of SPEC §7's path, answers one question: how much of the 1k row's accept →
 * receipt is the queue that SPEC §7 puts on the path. It runs that step's single posts only
 * (about 8 s a round).
 */
function queueFloorPlan(of: FanoutPlan): FanoutPlan {
  return {
    steps: of.steps
      .filter((s) => s.clients === 1000)
      .map(({ clients, singles }) => ({ clients, singles, bursts: 0 })),
  };
}
const warmupPlan: FanoutPlan = {
  steps: [{ clients: 1000, singles: [{ rate: 4, posts: 4 }], bursts: 1 }],
};

function checkLimits(): void {
  const needed =
    Math.max(
      ...fanoutPlan.steps.map((s) => s.clients),
      ...scaleoutPlan.steps.map((s) => s.nodes * s.clientsPerNode),
    ) + 1000;
  let limit = Number.NaN;
  try {
    limit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    // unknown: go on and let connect errors say it
  }
  if (limit < needed) {
    throw new Error(
      `ulimit -n is ${limit}; the run needs ${needed} open files per process: raise it (ulimit -n ${needed}) or use --steps`,
    );
  }
}

function versions(): Record<string, string> {
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const of = (name: string): string => lock.packages[`node_modules/${name}`]?.version ?? '?';
  let redis = '?';
  try {
    redis =
      /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
  } catch {
    // not on PATH: the run fails later with a clearer message
  }
  return {
    node: process.version,
    redis,
    ...Object.fromEntries(
      ['socket.io', 'engine.io', 'ws', 'bullmq', 'ioredis', 'express', 'socket.io-client'].map(
        (n) => [n, of(n)],
      ),
    ),
  };
}

const runStarted = performance.now();
/** A line of progress, with the seconds since the run started (where a run's time goes). */
function progress(line: string): void {
  console.log(`  [${((performance.now() - runStarted) / 1000).toFixed(0).padStart(3)} s] ${line}`);
}

async function main(): Promise<void> {
  checkLimits();
  // The controller publishes (HTTP POSTs, IPC): load-generation work, on the generator's core.
  pin(process.pid, PINNING.generatorCore);
  const startedAt = Date.now();
  const machine = {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? '?',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    // Other work on the machine moves absolute figures: the 1-minute load before and after.
    load: { start: loadavg()[0] ?? Number.NaN, end: Number.NaN },
    pinned: PINNING.available
      ? `systems on core ${PINNING.serverCore}, generator on core ${PINNING.generatorCore}`
      : 'not pinned (taskset missing or one core)',
  };
  console.log(
    `khabar bench: ${args.full ? 'full grid' : 'quick run'}, ${rounds} rounds after a warm-up; ${machine.pinned}`,
  );
  const { redis } = await startBenchRedis();
  const { child: generator } = await startChild(
    new URL('generator.js', import.meta.url),
    [],
    PINNING.generatorCore,
  );
  const results: RoundResults[] = [];
  const next = { n: 1 };
  try {
    for (let round = 0; round <= rounds; round++) {
      const warmup = round === 0;
      const plan = warmup
        ? warmupPlan
        : measuredInRound(round)
          ? fanoutPlan
          : withoutIdleWindow(fanoutPlan);
      const result: RoundResults = { round, warmup, fanout: [], memory: [] };
      if (wanted('fanout') || wanted('memory')) {
        for (const name of ['B0', 'B1', 'B2', 'B3', 'Khabar'] as const) {
          if (name === 'B0' && !measuredInRound(round)) continue;
          const systemPlan = name === 'B3' ? queueFloorPlan(plan) : plan;
          if (systemPlan.steps.length === 0) continue;
          const run = `r${round}${name}`;
          const system: System =
            name === 'Khabar'
              ? await startKhabar(redis.url, run, FANOUT_ENV)
              : name === 'B3'
                ? await startQueueFloor(redis.url, run)
                : await startBaseline(name, run, FANOUT_ENV);
          try {
            const { measures, memory } = await runFanout(system, generator, systemPlan, next);
            result.fanout.push(...measures);
            // B3 is there for the 1k row's latency; the memory rows compare at the largest N.
            if (name !== 'B3') result.memory.push(memory);
            const last = measures.filter((m) => m.kind === 'single').at(-1);
            progress(
              `round ${round}${warmup ? ' (warm-up)' : ''} ${name}: ${last?.clients ?? 0} clients, p99 ${last?.fromAccept.p99.toFixed(1) ?? '?'} ms, ${last?.cpuPerDeliveryUs.toFixed(2) ?? '?'} µs/delivery`,
            );
          } finally {
            await system.stop();
          }
        }
      }
      if (!warmup && wanted('ingest')) {
        result.ingest = await runIngest(redis.url, `r${round}`, generator);
        progress(`round ${round} ingest done`);
      }
      if (!warmup && named('sse'))
        result.sse = await runSse(redis, generator, `r${round}`, next, FANOUT_ENV);
      if (!warmup && wanted('storm')) {
        result.storm = await runStorm(redis, generator, `r${round}`);
        progress(`round ${round} storm done`);
      }
      if (!warmup && wanted('idle') && round === 1) {
        result.idle = await runIdle(redis, `r${round}`);
        progress(`round ${round} idle done`);
      }
      if (!warmup && named('scaleout'))
        result.scaleout = await runScaleout(
          redis,
          generator,
          `r${round}`,
          scaleoutPlan,
          FANOUT_ENV,
          (m) => {
            progress(
              `round ${round} scaleout ${m.nodes}×${m.clientsPerNode}: ${m.received}/${m.expected} delivered, ${m.publishing.commands} Redis commands, ${(m.publishing.cpuMicros / 1000).toFixed(0)} ms Redis CPU in ${m.publishing.seconds.toFixed(1)} s`,
            );
          },
        );
      results.push(result);
    }
  } finally {
    await generator.stop();
    await redis.stop();
  }
  machine.load.end = loadavg()[0] ?? Number.NaN;
  const report = buildReport(results);
  printReport(report);
  const out = {
    startedAt: new Date(startedAt).toISOString(),
    durationS: Math.round((Date.now() - startedAt) / 1000),
    mode: args.full ? 'full' : 'quick',
    rounds,
    machine,
    versions: versions(),
    plan: fanoutPlan,
    scaleoutPlan,
    report,
    rounds_raw: results,
  };
  writeFileSync(args.out, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nwrote ${args.out} (${out.durationS} s)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
