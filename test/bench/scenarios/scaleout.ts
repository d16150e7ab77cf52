import { Redis } from 'ioredis';
import { connectClients } from '../connect-clients.js';
import type { RedisProcess } from '../../../server/launch/redis-process.js';
import { coreBusy, coreTimes, PINNING, sleep, type Child } from '../proc.js';
import { readRedis, redisUseBetween, type RedisUse } from '../redis-stats.js';
import type { Summary } from '../stats.js';
import { startKhabar, type KhabarSystem } from '../systems.js';
import { idleCpu, measureWindow } from './fanout.js';

/**
 * `scaleout`: what one Redis pays as server nodes are added. Each step starts `nodes` server
 * nodes and one worker process on the run's Redis, connects `clientsPerNode` subscribers of
 * the bench channel to every node, reads Redis with nothing published (the standing cost of
 * that many nodes: presence reports, XREAD timeouts, BullMQ's polling), then publishes posts
 * at a steady rate and reads it again. Redis is read from INFO: commands (commandstats), CPU
 * (used_cpu_sys + used_cpu_user, every thread) and bytes in and out. Every node tails the one
 * fan-out stream with its own blocking XREAD, so the question is whether Redis's work follows
 * the nodes or the readers: the default plan ends with one node carrying as many readers as
 * the three-node step, which tells the two apart.
 */

export interface ScaleoutStep {
  nodes: number;
  clientsPerNode: number;
}

export interface ScaleoutPlan {
  steps: ScaleoutStep[];
  /** Posts per second, one article each, published open loop (POSTs to the nodes in turn). */
  rate: number;
  /** How long each step publishes. */
  seconds: number;
  /**
   * How long each step reads Redis with nothing published: two presence reports per node (every
   * 5 s). Tasks of longer periods (the canary, queue stats) fall in some windows and not others;
   * the `idle` scenario covers them.
   */
  idleSeconds: number;
}

export interface ScaleoutMeasure extends ScaleoutStep {
  clients: number;
  posts: number;
  received: number;
  expected: number;
  fromAccept: Summary;
  /** µs of every server node's CPU per copy received, less their idle rate. */
  nodeCpuPerDeliveryUs: number;
  /** µs of the worker process's CPU per post (its idle polling included). */
  workerCpuPerPostUs: number;
  /** How busy the core of the systems under test was while publishing (0–1). */
  serverCoreBusy: number | undefined;
  generatorBusy: number | undefined;
  valid: boolean;
  /** Redis while the posts went out, from the first publish to the last copy received. */
  publishing: RedisUse;
  /** Redis with the same nodes and subscribers and nothing published. */
  idle: RedisUse;
}

/**
 * The plan from the command line: `steps` as "1x1000,2x1000" (nodes × subscribers per node),
 * `rate` in posts/s, `seconds` of publishing per step.
 */
export function parseScaleoutPlan(text: {
  steps: string;
  rate: string;
  seconds: string;
}): ScaleoutPlan {
  const steps = text.steps.split(',').map((part) => {
    const match = /^(\d+)x(\d+)$/.exec(part.trim());
    const step = { nodes: Number(match?.[1]), clientsPerNode: Number(match?.[2]) };
    if (!(step.nodes >= 1 && step.clientsPerNode >= 1))
      throw new Error(`--scaleout-steps: "${part}" is not <nodes>x<subscribers per node>`);
    return step;
  });
  const rate = Number(text.rate);
  const seconds = Number(text.seconds);
  if (!(rate > 0 && seconds > 0))
    throw new Error('--scaleout-rate and --scaleout-seconds take positive numbers');
  return { steps, rate, seconds, idleSeconds: 10 };
}

/** Every node's subscribers, through the generator's one pool of clients. */
async function connectEveryNode(
  khabar: KhabarSystem,
  generator: Child,
  perNode: number,
): Promise<void> {
  for (const url of khabar.urls) {
    await connectClients(generator, { ...khabar, url }, perNode, 'scaleout');
  }
}

/** What every step of one run shares. */
interface StepContext {
  redisUrl: string;
  /** The bench's own connection, for INFO. */
  client: Redis;
  generator: Child;
  plan: ScaleoutPlan;
  env: Record<string, string>;
  /** The next article number, so that no step counts another's copies. */
  next: { n: number };
}

async function runStep(
  { redisUrl, client, generator, plan, env, next }: StepContext,
  run: string,
  step: ScaleoutStep,
): Promise<ScaleoutMeasure> {
  const khabar = await startKhabar(redisUrl, run, env, step.nodes);
  try {
    await connectEveryNode(khabar, generator, step.clientsPerNode);
    // As in fanout: the first second after a wave of connections still has work from it.
    await sleep(1500);
    const idleStart = await readRedis(client);
    // The nodes' idle CPU rate (for their CPU per delivery) is read within the idle window.
    const [idleUsPerMs] = await Promise.all([idleCpu(khabar), sleep(plan.idleSeconds * 1000)]);
    const idle = redisUseBetween(idleStart, await readRedis(client));

    const posts = Math.max(1, Math.round(plan.rate * plan.seconds));
    const workerBefore = await khabar.workerCpuMicros();
    const coreBefore = coreTimes(PINNING.serverCore);
    const before = await readRedis(client);
    const window = await measureWindow(
      khabar,
      generator,
      next,
      posts,
      1,
      1000 / plan.rate,
      idleUsPerMs,
    );
    const publishing = redisUseBetween(before, await readRedis(client));
    const serverCoreBusy = coreBusy(coreBefore, coreTimes(PINNING.serverCore));
    const workerCpu = (await khabar.workerCpuMicros()) - workerBefore;
    return {
      ...step,
      clients: window.clients,
      posts,
      received: window.received,
      expected: window.expected,
      fromAccept: window.fromAccept,
      nodeCpuPerDeliveryUs: window.cpuPerDeliveryUs,
      workerCpuPerPostUs: workerCpu / posts,
      serverCoreBusy,
      generatorBusy: window.generatorBusy,
      valid: window.valid,
      publishing,
      idle,
    };
  } finally {
    await generator.ask({ type: 'close' });
    await khabar.stop();
  }
}

export async function runScaleout(
  redis: RedisProcess,
  generator: Child,
  run: string,
  plan: ScaleoutPlan,
  env: Record<string, string> = {},
  onStep: (measure: ScaleoutMeasure) => void = () => undefined,
): Promise<ScaleoutMeasure[]> {
  const context: StepContext = {
    redisUrl: redis.url,
    client: new Redis(redis.url),
    generator,
    plan,
    env,
    next: { n: 1 },
  };
  const measures: ScaleoutMeasure[] = [];
  try {
    for (const [i, step] of plan.steps.entries()) {
      // A key prefix per step: nothing one step left in Redis is read by the next.
      const measure = await runStep(context, `${run}scale${i}`, step);
      measures.push(measure);
      onStep(measure);
    }
    return measures;
  } finally {
    context.client.disconnect();
  }
}
