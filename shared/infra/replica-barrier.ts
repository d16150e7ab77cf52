import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './redis.js';

/**
 * "Has what this connection wrote reached enough replicas?" Redis replicates asynchronously:
 * a master that dies right after a write, or that is cut off from its replicas, loses it, and
 * the promoted replica never had it. `WAIT n timeout` answers how many replicas acknowledged
 * every write made so far **on the connection that sends it** (a WAIT on another connection
 * returns at once, whatever it wrote), so the barrier runs on the writer's own connection; on
 * a Cluster, on its connection to the master that holds `slotKey`.
 *
 * One WAIT serves every caller that arrives while it is in flight: a caller's write completed
 * before it asked, and a blocked connection runs nothing sent after the WAIT until the WAIT
 * returns, so that write was sent before the WAIT and is covered by its answer.
 */
export interface ReplicaBarrier {
  /** The replicas asked for; 0 means the barrier always passes at once. */
  readonly replicas: number;
  /** Call before writing: what {@link reached} compares with to see the connection unchanged. */
  mark(): number;
  /**
   * Whether every write made on the connection since `mark` reached `replicas` replicas in
   * time. False as well when the connection closed meanwhile: ioredis would send the WAIT again
   * on the new connection, where it counts nothing of what the old one wrote.
   */
  reached(mark: number): Promise<boolean>;
}

export interface ReplicaBarrierOptions {
  replicas: number;
  timeoutMs: number;
  /** On a Cluster: a key of the slot written (`<prefix>:{queue}:…`), to find its master. */
  slotKey: string;
}

/** The connection of a Cluster to the master that serves `key`'s slot right now. */
async function masterFor(
  cluster: Cluster,
  key: string,
  slots: Map<string, number>,
): Promise<Redis> {
  let slot = slots.get(key);
  if (slot === undefined) {
    slot = await cluster.cluster('KEYSLOT', key);
    slots.set(key, slot);
  }
  const address = cluster.slots[slot]?.[0];
  const node = cluster
    .nodes('master')
    .find((n) => `${n.options.host ?? ''}:${String(n.options.port ?? '')}` === address);
  if (!node) throw new Error(`no master serves slot ${slot} yet`);
  return node;
}

export function createReplicaBarrier(
  connection: RedisClient,
  { replicas, timeoutMs, slotKey }: ReplicaBarrierOptions,
): ReplicaBarrier {
  const slots = new Map<string, number>();
  let inFlight: Promise<number> | undefined;
  // Bumped whenever a connection closes: a write and its WAIT must go through the same one.
  let generation = 0;
  const follow = (node: Redis): void => {
    node.on('close', () => {
      generation++;
    });
  };
  if (connection instanceof Cluster) connection.on('+node', follow);
  else follow(connection);

  async function wait(): Promise<number> {
    const node =
      connection instanceof Cluster ? await masterFor(connection, slotKey, slots) : connection;
    return Number(await node.call('WAIT', replicas, timeoutMs));
  }

  return {
    replicas,
    mark: () => generation,
    async reached(mark) {
      if (replicas === 0) return true;
      inFlight ??= wait().finally(() => {
        inFlight = undefined;
      });
      const acknowledged = await inFlight;
      return acknowledged >= replicas && generation === mark;
    },
  };
}
