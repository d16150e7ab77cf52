import { Redis } from 'ioredis';
import { connectClients } from '../connect-clients.js';
import type { RedisProcess } from '../../../server/launch/redis-process.js';
import { BENCH_CHANNEL } from '../payload.js';
import { sleep, type Child } from '../proc.js';
import { callsBetween, commandCalls } from '../redis-stats.js';
import { startBaseline, startKhabar } from '../systems.js';

/**
 * `storm`: N subscribers of a channel resubscribe at once with cursors a few posts old, and
 * each must recover the posts it missed (`recovered: true` with the events). Twice:
 * - resubscribe: on their open connections (what a client does after a seq gap, or when a
 *   node's clients all reload a channel): the cost of Khabar's recovery path alone;
 * - reconnect: the connections drop together (a node restart, a network blip), posts go out
 *   meanwhile, and all come back at once: new TCP and websocket handshakes included.
 * Measured: the time from the first request to the last answer, how many recovered, and the
 * Redis commands each resubscribe cost (INFO commandstats before and after).
 * Then the naive Socket.IO server (B2) in the same round, the same way: N clients connected,
 * dropped together, all reconnecting at once; B2 has no subscribe, so a client is back when its
 * namespace connect (`40`) is answered. The target compares Khabar's reconnect to it.
 */
export interface StormPhase {
  allRecoveredMs: number;
  recovered: number;
  commandsPerResubscribe: number;
  commands: Record<string, number>;
}

export interface StormResult {
  clients: number;
  missed: number;
  resubscribe: StormPhase;
  reconnect: StormPhase & { failed: number };
  /** B2: from the first reconnect to the last namespace connect answered (ms). */
  b2Reconnect: { allConnectedMs: number; connected: number; failed: number };
}

/** B2's reconnect storm: `clients` connected, dropped together, all back at once. */
async function b2Storm(
  generator: Child,
  run: string,
  clients: number,
): Promise<StormResult['b2Reconnect']> {
  // engine.io's own 25 s heartbeat, as Khabar has in this scenario.
  const b2 = await startBaseline('B2', `${run}storm`);
  try {
    await connectClients(generator, b2, clients, 'storm B2');
    await sleep(500);
    await generator.ask({ type: 'drop' });
    // As long as Khabar's clients stay away (while its missed posts are stored).
    await sleep(500);
    const back = await generator.ask<{ clients: number; failed: number; allAnsweredMs: number }>({
      type: 'return',
      url: b2.url,
    });
    return { allConnectedMs: back.allAnsweredMs, connected: back.clients, failed: back.failed };
  } finally {
    await generator.ask({ type: 'close' });
    await b2.stop();
  }
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
  let resubscribe: StormPhase;
  let reconnect: StormResult['reconnect'];
  try {
    await connectClients(generator, khabar, clients, 'storm', true);
    // One post everybody sees, so every client holds a cursor; then posts it will miss.
    await generator.ask({ type: 'expect', firstN: n, count: 1, t0Ns: 0, periodNs: 0 });
    await khabar.publish(n++, 1);
    await generator.ask({ type: 'collect' });
    await generator.ask({ type: 'save-cursors' });
    for (let i = 0; i < missed; i++) await khabar.publish(n++, 1);
    await sleep(500);

    let before = await commandCalls(client);
    const again = await generator.ask<{ recovered: number; allAnsweredMs: number }>({
      type: 'resubscribe',
      channel: BENCH_CHANNEL,
    });
    let calls = callsBetween(before, await commandCalls(client));
    resubscribe = {
      allRecoveredMs: again.allAnsweredMs,
      recovered: again.recovered,
      commandsPerResubscribe: calls.total / clients,
      commands: calls.byCommand,
    };

    await sleep(500);
    await generator.ask({ type: 'drop' });
    for (let i = 0; i < missed; i++) await khabar.publish(n++, 1);
    await sleep(500); // stored and fanned out to nobody
    before = await commandCalls(client);
    const back = await generator.ask<{
      clients: number;
      failed: number;
      recovered: number;
      allAnsweredMs: number;
    }>({ type: 'return', url: khabar.url, channel: BENCH_CHANNEL });
    calls = callsBetween(before, await commandCalls(client));
    reconnect = {
      allRecoveredMs: back.allAnsweredMs,
      recovered: back.recovered,
      failed: back.failed,
      commandsPerResubscribe: calls.total / clients,
      commands: calls.byCommand,
    };
  } finally {
    await generator.ask({ type: 'close' });
    client.disconnect();
    await khabar.stop();
  }
  // Khabar is stopped first: B2 has the server core to itself, as every baseline does.
  const b2Reconnect = await b2Storm(generator, run, clients);
  return { clients, missed, resubscribe, reconnect, b2Reconnect };
}
