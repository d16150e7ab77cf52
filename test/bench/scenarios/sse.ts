import type { RedisProcess } from '../../../server/launch/redis-process.js';
import { connectClients } from '../connect-clients.js';
import { BENCH_CHANNEL } from '../payload.js';
import type { Child } from '../proc.js';
import { sleep } from '../proc.js';
import { startKhabar, type System } from '../systems.js';
import { BURST, idleCpu, measureWindow, type FanoutMeasure } from './fanout.js';

/**
 * `sse`: the same Khabar, the same articles and the same subscribers of one channel, once over
 * Socket.IO (websocket) and once over Server-Sent Events (`GET /api/stream`), in the same round:
 * what a delivery costs the server node by each path. Both are served from the node's channel
 * cache and fan-out; the difference is the framing and the per-connection write.
 */

export type Transport = 'socket.io' | 'sse';

export interface SseMeasure extends Omit<FanoutMeasure, 'system'> {
  transport: Transport;
}

export interface SseResult {
  clients: number;
  measures: SseMeasure[];
}

const SINGLES = { rate: 2, posts: 10 };
const BURSTS = 3;

export async function runSse(
  redis: RedisProcess,
  generator: Child,
  run: string,
  next: { n: number },
  env: Record<string, string>,
  clients = 1000,
): Promise<SseResult> {
  const measures: SseMeasure[] = [];
  for (const transport of ['socket.io', 'sse'] as const) {
    const khabar = await startKhabar(redis.url, `${run}${transport.replace('.', '')}`, env);
    const streamUrl = khabar.url.replace(/^ws:/, 'http:') + `api/stream?channel=${BENCH_CHANNEL}`;
    const system: System =
      transport === 'sse' ? { ...khabar, mode: 'sse', url: streamUrl } : khabar;
    try {
      await connectClients(generator, system, clients, transport);
      await sleep(1500); // the wave of connections' own work, as in fanout
      const idle = await idleCpu(system);
      const { rate, posts } = SINGLES;
      const single = await measureWindow(system, generator, next, posts, 1, 1000 / rate, idle);
      measures.push({ transport, kind: 'single', rate, ...single });
      const burst = await measureWindow(system, generator, next, BURSTS, BURST, 2000, idle);
      measures.push({ transport, kind: 'burst', rate: 0.5, ...burst });
    } finally {
      await generator.ask({ type: 'close' });
      await khabar.stop();
    }
  }
  return { clients, measures };
}
