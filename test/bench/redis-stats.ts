import type { Redis } from 'ioredis';

/**
 * Per command since the Redis started (INFO commandstats), without INFO's own: calls, and µs
 * spent in the command (a blocked XREAD's time includes serving it when it wakes; reading the
 * request and writing the reply are not in it). Commands that scripts run are counted too.
 */
export async function commandStats(
  redis: Redis,
): Promise<{ calls: Map<string, number>; usec: Map<string, number> }> {
  const calls = new Map<string, number>();
  const usec = new Map<string, number>();
  for (const line of (await redis.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (!match || match[1] === 'info') continue;
    calls.set(match[1] as string, Number(match[2]));
    usec.set(match[1] as string, Number(match[3]));
  }
  return { calls, usec };
}

/** Calls per command since the Redis started, without INFO's own. */
export async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  return (await commandStats(redis)).calls;
}

/** Commands run (or µs spent in them) between two readings, by command, and in all. */
export function callsBetween(
  before: Map<string, number>,
  after: Map<string, number>,
): { total: number; byCommand: Record<string, number> } {
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const [command, calls] of after) {
    const delta = calls - (before.get(command) ?? 0);
    if (delta > 0) {
      byCommand[command] = delta;
      total += delta;
    }
  }
  return { total, byCommand };
}

/** Redis's own CPU time so far (µs, user + system, every thread; INFO cpu). */
export async function redisCpuMicros(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  return (infoNumber(info, 'used_cpu_sys') + infoNumber(info, 'used_cpu_user')) * 1e6;
}

/** A numeric field of an INFO reply (NaN when it is not there). */
function infoNumber(info: string, name: string): number {
  return Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
}

/** Redis's running totals that a scenario reads twice and subtracts. */
interface RedisTotals {
  cpuMicros: number;
  netInBytes: number;
  netOutBytes: number;
}

/** What Redis has done since it started: commands, CPU time, bytes in and out. */
export interface RedisReading extends RedisTotals {
  atMs: number;
  calls: Map<string, number>;
  usec: Map<string, number>;
}

export async function readRedis(redis: Redis): Promise<RedisReading> {
  const [{ calls, usec }, cpuMicros, stats] = await Promise.all([
    commandStats(redis),
    redisCpuMicros(redis),
    redis.info('stats'),
  ]);
  return {
    atMs: performance.now(),
    calls,
    usec,
    cpuMicros,
    netInBytes: infoNumber(stats, 'total_net_input_bytes'),
    netOutBytes: infoNumber(stats, 'total_net_output_bytes'),
  };
}

/** What Redis did between two readings: the sums a scenario divides by its own counts. */
export interface RedisUse extends RedisTotals {
  seconds: number;
  commands: number;
  byCommand: Record<string, number>;
  /** µs spent in each command (INFO commandstats' usec). */
  usecByCommand: Record<string, number>;
}

export function redisUseBetween(before: RedisReading, after: RedisReading): RedisUse {
  const { total, byCommand } = callsBetween(before.calls, after.calls);
  return {
    seconds: (after.atMs - before.atMs) / 1000,
    commands: total,
    byCommand,
    usecByCommand: callsBetween(before.usec, after.usec).byCommand,
    cpuMicros: after.cpuMicros - before.cpuMicros,
    netInBytes: after.netInBytes - before.netInBytes,
    netOutBytes: after.netOutBytes - before.netOutBytes,
  };
}
