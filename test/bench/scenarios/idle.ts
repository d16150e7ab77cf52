import { Redis } from 'ioredis';
import type { RedisProcess } from '../../../server/launch/redis-process.js';
import { sleep } from '../proc.js';
import { callsBetween, commandCalls } from '../redis-stats.js';
import { startKhabar } from '../systems.js';

/**
 * `idle`: one server node and one worker process with nothing to do. Every periodic task
 * (fan-out XREAD, presence, BullMQ's blocking reads and stalled checks, the canary,
 * queue.stats, job metrics) shows up as Redis commands per second; 30 s covers each of them.
 */
export interface IdleResult {
  windowS: number;
  commandsPerSecond: number;
  byCommand: Record<string, number>;
  /** Server node + worker process, % of one core. */
  cpuPercent: number;
}

export async function runIdle(
  redis: RedisProcess,
  run: string,
  windowMs = 30_000,
): Promise<IdleResult> {
  const khabar = await startKhabar(redis.url, `${run}idle`);
  const client = new Redis(redis.url);
  try {
    await sleep(3000); // start-up work (scripts loaded, first reports) is not idling
    const before = await commandCalls(client);
    const cpuBefore = (await khabar.cpuMicros()) + (await khabar.workerCpuMicros());
    const started = performance.now();
    await sleep(windowMs);
    const after = await commandCalls(client);
    const cpuAfter = (await khabar.cpuMicros()) + (await khabar.workerCpuMicros());
    const seconds = (performance.now() - started) / 1000;
    const { total, byCommand } = callsBetween(before, after);
    return {
      windowS: seconds,
      commandsPerSecond: total / seconds,
      byCommand: Object.fromEntries(
        Object.entries(byCommand)
          .sort((a, b) => b[1] - a[1])
          .map(([command, calls]) => [command, calls / seconds]),
      ),
      cpuPercent: ((cpuAfter - cpuBefore) / 1e6 / seconds) * 100,
    };
  } finally {
    client.disconnect();
    await khabar.stop();
  }
}
