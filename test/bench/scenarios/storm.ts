import { Redis } from 'ioredis';
import type { RedisProcess } from '../../../server/redis-process.js';
import { BENCH_CHANNEL } from '../payload.js';
import { sleep, type Child } from '../proc.js';
import { callsBetween, commandCalls } from '../redis-stats.js';
import { startKhabar } from '../systems.js';

/**
 * `storm`: N subscribers of a channel lose their connections together (a node restart, a
 * network blip), miss a few posts, and come back at once, each resubscribing with its last
 * cursor. Measured: the time from the first reconnect to the last subscribe answer, how many
 * answered `recovered: true` (with the missed events), and Redis commands per resubscribe.
 */
export interface StormResult {
  clients: number;
  missed: number;
  allRecoveredMs: number;
  recovered: number;
  failed: number;
  commandsPerResubscribe: number;
  commands: Record<string, number>;
}

export async function runStorm(
  redis: RedisProcess,
  generator: Child,
  run: string,
  clients = 5000,
  missed = 5,
): Promise<StormResult> {
  const khabar = await startKhabar(redis.url, `${run}storm`);
  const client = new Redis(redis.url);
  let n = 1;
  try {
    const connected = await generator.ask<{ connected: number; failed: number }>({
      type: 'connect',
      url: khabar.url,
      mode: 'sio',
      count: clients,
      subscribe: { channel: BENCH_CHANNEL, limit: 1 },
      trackCursors: true,
    });
    if (connected.failed > 0)
      throw new Error(`storm: ${connected.failed} clients could not connect`);
    // One post everybody sees, so every client holds a cursor.
    await generator.ask({ type: 'expect', firstN: n, count: 1, t0Ns: 0, periodNs: 0 });
    await khabar.publish(n++, 1);
    await generator.ask({ type: 'collect' });
    await generator.ask({ type: 'drop' });
    for (let i = 0; i < missed; i++) await khabar.publish(n++, 1);
    await sleep(500); // stored and fanned out to nobody
    const before = await commandCalls(client);
    const answer = await generator.ask<{
      clients: number;
      failed: number;
      recovered: number;
      allAnsweredMs: number;
    }>({ type: 'return', url: khabar.url, channel: BENCH_CHANNEL });
    const { total, byCommand } = callsBetween(before, await commandCalls(client));
    return {
      clients,
      missed,
      allRecoveredMs: answer.allAnsweredMs,
      recovered: answer.recovered,
      failed: answer.failed,
      commandsPerResubscribe: total / clients,
      commands: byCommand,
    };
  } finally {
    await generator.ask({ type: 'close' });
    client.disconnect();
    await khabar.stop();
  }
}
