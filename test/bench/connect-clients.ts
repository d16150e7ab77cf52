import type { Child } from './proc.js';
import type { System } from './systems.js';

/** Where the clients go and how they talk: a system's, or one node's `url` of it. */
export type ConnectTarget = Pick<System, 'url' | 'mode' | 'subscribe'>;

/**
 * Has the generator open `count` more clients of `target`; resolves with how many it holds in
 * all, and throws when any could not connect (a measure with fewer clients than planned is not
 * one). `trackCursors`: each client keeps its last cursor, for the storm's returns.
 */
export async function connectClients(
  generator: Child,
  { url, mode, subscribe }: ConnectTarget,
  count: number,
  label: string,
  trackCursors = false,
): Promise<number> {
  const answer = await generator.ask<{ connected: number; failed: number }>({
    type: 'connect',
    url,
    mode,
    count,
    subscribe,
    trackCursors,
  });
  if (answer.failed > 0) throw new Error(`${label}: ${answer.failed} clients could not connect`);
  return answer.connected;
}
