import { hopsBetween, type Hop, type HopSummary } from '../hops.js';
import type { Child } from '../proc.js';
import { connectClients } from '../connect-clients.js';
import { coreBusy, sleep } from '../proc.js';
import { median, type Summary } from '../stats.js';
import type { System } from '../systems.js';

/**
 * `fanout`: articles published on a fixed schedule reach N subscribers of one channel.
 * Clients are added in steps (1k, then up to 10k; 5k between them in the grid) on the same server, and at each
 * step the same measurements run: single posts at `rate` per second, then bursts of 10
 * posts published together (as a feed poll produces them). Latency is measured from each
 * article's scheduled time (so a late publish counts against the system, not for it);
 * server CPU per delivery is the fan-out process's CPU time over the window, less what it
 * spends idle with the same clients over as long, divided by the copies received.
 */

export interface FanoutMeasure {
  system: string;
  clients: number;
  kind: 'single' | 'burst';
  rate: number;
  posts: number;
  received: number;
  expected: number;
  /** From the article's scheduled publish time to receipt (the producer's round trip included). */
  latency: Summary;
  /** From the API's accept (Khabar) or the broadcast call (baselines) to receipt. */
  fromAccept: Summary;
  /** The slowest copy of each article (ms). */
  slowestPerArticle: number[];
  /** Khabar only: where each event's time went before it left the server (hops.ts). */
  hops?: Record<Hop, HopSummary>;
  /** µs of server CPU per copy received (per delivered post, for bursts). */
  cpuPerDeliveryUs: number;
  /** How busy the generator's core was (0–1); over 0.8 the measure is not valid. */
  generatorBusy: number | undefined;
  valid: boolean;
}

/** What the fan-out process costs at the last step with its clients connected and idle. */
export interface MemoryMeasure {
  system: string;
  clients: number;
  heapPerClientBytes: number;
  rssPerClientBytes: number;
  /**
   * CPU with the clients connected and nothing sent (% of a core): the lower of two plain
   * windows of `idleWindowMs`, periodic work included (not the median of slices that windows
   * subtract). Absent where the step did not measure it (the warm-up).
   */
  idleCpuPercent?: number;
  idleWindowMs?: number;
}

/** One step: connect up to `clients`, then measure. */
export interface FanoutStep {
  clients: number;
  /** Single posts: at each rate (per second), how many. */
  singles: { rate: number; posts: number }[];
  /** Bursts of 10 posts, one every 2 s: how many (0 for none). */
  bursts: number;
  /**
   * At the last step: read the idle CPU over two plain windows this long (ms), for the idle row.
   * Socket.IO servers get it whole (5 s holds one of Khabar's presence reports, and two of its
   * 2 s failover checks, whatever the phase); B0 and B1 have no timers, so a shorter
   * one (TIMERLESS_IDLE_WINDOW_MS) reads the same and keeps the run short.
   */
  idleWindowMs?: number;
}

export interface FanoutPlan {
  steps: FanoutStep[];
}

export const BURST = 10;
const BURST_PERIOD_MS = 2000;
const GENERATOR_SATURATED = 0.8;
/**
 * B0's and B1's plain idle window (ms): they have no timers, so a second reads what five would.
 * Not their twelve slices summed: in a tiny run on the shared machine those read 0.8–1.0% of a
 * core for B0 and B1, against 0.09% for B2 over a plain 5 s; each slice's reading is an IPC
 * answer from the process under test, likely a good part of that. Over this 1 s they read about
 * 0.3%: the two readings' own cost weighs five times what it does over 5 s, so B0's and B1's
 * idle figures are upper bounds (no target uses them).
 */
const TIMERLESS_IDLE_WINDOW_MS = 1000;

interface Window {
  clients: number;
  core: { busy: number; total: number } | undefined;
}

/**
 * Publishes `batches` batches of `size` on the schedule and collects what the clients got;
 * the scale-out scenario measures its windows with it too.
 */
export async function measureWindow(
  system: System,
  generator: Child,
  next: { n: number },
  batches: number,
  size: number,
  periodMs: number,
  idleUsPerMs: number,
): Promise<Omit<FanoutMeasure, 'system' | 'kind' | 'rate'>> {
  const firstN = next.n;
  next.n += batches * size;
  const t0Ns = Number(process.hrtime.bigint()) + 100e6;
  const periodNs = periodMs * 1e6;
  const opened = await generator.ask<Window>({
    type: 'expect',
    firstN,
    count: batches * size,
    burst: size,
    t0Ns,
    periodNs,
  });
  const hopsBefore = await system.hopBuckets?.();
  const cpuBefore = await system.cpuMicros();
  const startedAt = performance.now();
  const publishing: Promise<void>[] = [];
  for (let b = 0; b < batches; b++) {
    const dueNs = t0Ns + b * periodNs;
    const waitMs = (dueNs - Number(process.hrtime.bigint())) / 1e6;
    if (waitMs > 0) await sleep(waitMs);
    // Open loop: the next article goes at its time whether or not this one was taken yet.
    publishing.push(system.publish(firstN + b * size, size));
  }
  await Promise.all(publishing);
  const result = await generator.ask<{
    received: number;
    expected: number;
    latency: Summary;
    fromAccept: Summary;
    slowestPerArticle: number[];
    core: Window['core'];
  }>({ type: 'collect' });
  const cpuAfter = await system.cpuMicros();
  const elapsedMs = performance.now() - startedAt;
  const hopsAfter = hopsBefore && (await system.hopBuckets?.());
  const busyCpu = cpuAfter - cpuBefore - idleUsPerMs * elapsedMs;
  const delivered = result.received;
  const generatorBusy = coreBusy(opened.core, result.core);
  return {
    clients: opened.clients,
    posts: batches * size,
    received: result.received,
    expected: result.expected,
    latency: result.latency,
    fromAccept: result.fromAccept,
    slowestPerArticle: result.slowestPerArticle,
    ...(hopsBefore && hopsAfter ? { hops: hopsBetween(hopsBefore, hopsAfter) } : {}),
    cpuPerDeliveryUs: delivered > 0 ? Math.max(0, busyCpu) / delivered : Number.NaN,
    generatorBusy,
    valid: generatorBusy === undefined || generatorBusy <= GENERATOR_SATURATED,
  };
}

/**
 * What the fan-out process spends per ms with its clients connected and nothing to send: the
 * median of short slices, so that a slice with a garbage collection or a wave of Socket.IO
 * heartbeats (each client's every 25 s, a wave as wide as the connecting took) does not
 * count as the idle rate. Subtracted from a long window, an inflated idle rate would wipe out
 * the deliveries' CPU.
 */
export async function idleCpu(system: System, slices = 12, sliceMs = 100): Promise<number> {
  const rates: number[] = [];
  let before = await system.cpuMicros();
  let started = performance.now();
  for (let i = 0; i < slices; i++) {
    await sleep(sliceMs);
    const [cpu, now] = [await system.cpuMicros(), performance.now()];
    rates.push((cpu - before) / (now - started));
    [before, started] = [cpu, now];
  }
  return median(rates);
}

/**
 * The idle row's reading: two plain windows of `windowMs` back to back, the lower kept. Each
 * holds all of a system's periodic work; the lower leaves out a one-off such as a garbage
 * collection left over from the connecting (seen: B2 at 0.16% of a core in one window, sixteen
 * times its usual reading, which made a 15× gap read as 0.93×).
 */
async function plainIdleCpu(
  system: System,
  windowMs: number,
): Promise<{ rate: number; ms: number }> {
  const window = async (): Promise<{ rate: number; ms: number }> => {
    const cpuBefore = await system.cpuMicros();
    const started = performance.now();
    await sleep(windowMs);
    const ms = performance.now() - started;
    return { rate: ((await system.cpuMicros()) - cpuBefore) / ms, ms };
  };
  const first = await window();
  const second = await window();
  return first.rate <= second.rate ? first : second;
}

export async function runFanout(
  system: System,
  generator: Child,
  plan: FanoutPlan,
  next: { n: number },
): Promise<{ measures: FanoutMeasure[]; memory: MemoryMeasure }> {
  const measures: FanoutMeasure[] = [];
  const before = await system.memory();
  let connected = 0;
  let memory: MemoryMeasure | undefined;
  for (const step of plan.steps) {
    connected = await connectClients(generator, system, step.clients - connected, system.name);
    // The first second after a wave of connections still has work from it (seen: 4× idle).
    await sleep(1500);
    const last = step === plan.steps.at(-1);
    const after = last ? await system.memory() : undefined;
    // The idle rate that windows subtract: twelve 100 ms slices, as at every step.
    const idle = await idleCpu(system);
    const plainIdle =
      last && step.idleWindowMs !== undefined
        ? await plainIdleCpu(
            system,
            system.mode === 'sio'
              ? step.idleWindowMs
              : Math.min(step.idleWindowMs, TIMERLESS_IDLE_WINDOW_MS),
          )
        : undefined;
    if (after) {
      memory = {
        system: system.name,
        clients: connected,
        heapPerClientBytes: (after.heapUsed - before.heapUsed) / connected,
        rssPerClientBytes: (after.rss - before.rss) / connected,
        // µs of CPU per ms is tenths of a percent of a core.
        ...(plainIdle
          ? { idleCpuPercent: plainIdle.rate / 10, idleWindowMs: Math.round(plainIdle.ms) }
          : {}),
      };
    }
    for (const { rate, posts } of step.singles) {
      const single = await measureWindow(system, generator, next, posts, 1, 1000 / rate, idle);
      measures.push({ system: system.name, kind: 'single', rate, ...single });
    }
    if (step.bursts > 0) {
      // A burst every 2 s: ten posts to 10k sockets are 100k copies, most of a second of CPU.
      const burst = await measureWindow(
        system,
        generator,
        next,
        step.bursts,
        BURST,
        BURST_PERIOD_MS,
        idle,
      );
      measures.push({ system: system.name, kind: 'burst', rate: 1000 / BURST_PERIOD_MS, ...burst });
    }
  }
  await generator.ask({ type: 'close' });
  if (!memory) throw new Error('no fan-out step');
  return { measures, memory };
}
