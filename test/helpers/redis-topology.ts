import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startTcpForwarder } from './tcp-forwarder.js';
import {
  freePort,
  redisAnswers,
  startRedisProcess,
  type RedisProcess,
} from '../../server/launch/redis-process.js';
import { eventually } from './khabar.js';

/**
 * Replicated Redis topologies on loopback, each process on a free port with its files in a temp
 * folder: a Sentinel set (a master, replicas, sentinels) and a Cluster (masters with replicas).
 * What a news site runs in production, small enough for a test to kill and fail over.
 */

const run = promisify(execFile);

/** One reply of `INFO <section>` as fields. */
export async function info(port: number, section: string): Promise<Map<string, string>> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const text = await redis.info(section);
    return new Map(
      text
        .split('\r\n')
        .filter((line) => line.includes(':'))
        .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
    );
  } finally {
    redis.disconnect();
  }
}

/** Runs one command on the node at `port` (a sentinel, or a data node). */
export async function command(port: number, ...args: (string | number)[]): Promise<unknown> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const [name = '', ...rest] = args.map(String);
    return await redis.call(name, ...rest);
  } finally {
    redis.disconnect();
  }
}

export interface SentinelProcess {
  port: number;
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
}

/** A `redis-server --sentinel` watching `masterName` at `masterPort`, failing over fast. */
export async function startSentinel(
  masterName: string,
  masterPort: number,
  quorum: number,
): Promise<SentinelProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'khabar-sentinel-'));
  const port = await freePort();
  const config = join(dir, 'sentinel.conf');
  writeFileSync(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `logfile ${join(dir, 'sentinel.log')}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} ${quorum}`,
      // A second without an answer is "down": failovers in seconds, for tests.
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 5000`,
      `sentinel parallel-syncs ${masterName} 2`,
      '',
    ].join('\n'),
  );
  const child = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
  await eventually(async () =>
    (await redisAnswers(`redis://127.0.0.1:${port}`)) ? true : undefined,
  );
  return {
    port,
    async stop() {
      child.kill('SIGKILL');
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A data node in a temp folder, removed when it stops (kill keeps it, to restart). */
export async function startNode(extraArgs: string[], port?: number): Promise<RedisProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'khabar-node-'));
  const node = await startRedisProcess({ dir, appendOnly: true, extraArgs, port });
  return {
    ...node,
    async stop() {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SentinelSet {
  masterName: string;
  /** Data nodes; the first was the master at start. */
  nodes: RedisProcess[];
  sentinels: SentinelProcess[];
  /** `redis+sentinel://127.0.0.1:<p>,…/<masterName>` */
  url: string;
  /** The master's port, as the sentinels name it now. */
  masterPort(): Promise<number>;
  /** Waits until the sentinels name a master other than `oldPort` that takes writes. */
  waitForNewMaster(oldPort: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/** A master, `replicas` replicas (each linked to it directly) and `sentinels` sentinels. */
export async function startSentinelSet({
  replicas = 2,
  sentinels = 3,
  masterName = 'khabar',
}: { replicas?: number; sentinels?: number; masterName?: string } = {}): Promise<SentinelSet> {
  const master = await startNode([]);
  const followers = await Promise.all(
    Array.from({ length: replicas }, () =>
      startNode(['--replicaof', '127.0.0.1', String(master.port)]),
    ),
  );
  await eventually(async () => {
    const replication = await info(master.port, 'replication');
    return Number(replication.get('connected_slaves')) === replicas ? true : undefined;
  }, 15_000);
  const quorum = Math.floor(sentinels / 2) + 1;
  const watchers = await Promise.all(
    Array.from({ length: sentinels }, () => startSentinel(masterName, master.port, quorum)),
  );
  // Sentinels find the replicas through the master and each other through hello messages.
  await eventually(async () => {
    for (const sentinel of watchers) {
      const known = (await command(sentinel.port, 'SENTINEL', 'REPLICAS', masterName)) as unknown[];
      const peers = (await command(
        sentinel.port,
        'SENTINEL',
        'SENTINELS',
        masterName,
      )) as unknown[];
      if (known.length < replicas || peers.length < sentinels - 1) return undefined;
    }
    return true;
  }, 20_000);

  const masterPort = async (): Promise<number> => {
    for (const sentinel of watchers) {
      try {
        const [, port] = (await command(
          sentinel.port,
          'SENTINEL',
          'GET-MASTER-ADDR-BY-NAME',
          masterName,
        )) as [string, string];
        return Number(port);
      } catch {
        // this sentinel is down; ask the next
      }
    }
    throw new Error('no sentinel answers');
  };

  return {
    masterName,
    nodes: [master, ...followers],
    sentinels: watchers,
    url: `redis+sentinel://${watchers.map((s) => `127.0.0.1:${s.port}`).join(',')}/${masterName}`,
    masterPort,
    async waitForNewMaster(oldPort, timeoutMs = 30_000) {
      return eventually(async () => {
        const port = await masterPort();
        if (port === oldPort) return undefined;
        const role = await info(port, 'replication').catch(() => undefined);
        return role?.get('role') === 'master' ? port : undefined;
      }, timeoutMs);
    },
    async stop() {
      await Promise.all(watchers.map((s) => s.stop()));
      await Promise.all([master, ...followers].map((n) => n.stop()));
    },
  };
}

export interface RedisCluster {
  nodes: RedisProcess[];
  /** `redis+cluster://127.0.0.1:<p>,…` (every node as a seed). */
  url: string;
  /** The port of the master serving the slot of `key` now. */
  masterOf(key: string): Promise<number>;
  stop(): Promise<void>;
}

/** `masters` masters with `replicasPerMaster` replicas each, created by `redis-cli --cluster create`. */
export async function startRedisCluster({
  masters = 3,
  replicasPerMaster = 2,
}: { masters?: number; replicasPerMaster?: number } = {}): Promise<RedisCluster> {
  const count = masters * (1 + replicasPerMaster);
  const nodes = await Promise.all(
    Array.from({ length: count }, () =>
      startNode(['--cluster-enabled', 'yes', '--cluster-node-timeout', '1000']),
    ),
  );
  await run('redis-cli', [
    '--cluster',
    'create',
    ...nodes.map((n) => `127.0.0.1:${n.port}`),
    '--cluster-replicas',
    String(replicasPerMaster),
    '--cluster-yes',
  ]);
  await eventually(async () => {
    for (const node of nodes) {
      const state = await command(node.port, 'CLUSTER', 'INFO');
      if (!String(state).includes('cluster_state:ok')) return undefined;
    }
    return true;
  }, 30_000);

  const alive = async (): Promise<RedisProcess> => {
    for (const node of nodes) if (await redisAnswers(node.url, 200)) return node;
    throw new Error('no cluster node answers');
  };

  return {
    nodes,
    url: `redis+cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
    async masterOf(key) {
      const seed = await alive();
      const slot = Number(await command(seed.port, 'CLUSTER', 'KEYSLOT', key));
      const ranges = (await command(seed.port, 'CLUSTER', 'SLOTS')) as [
        number,
        number,
        [string, number, ...unknown[]],
      ][];
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`no node serves slot ${slot}`);
      return range[2][1];
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

export interface ManagedEndpoint {
  /** `redis://127.0.0.1:<endpoint>`: what a managed Redis gives its clients. */
  url: string;
  /** The master at start, then the two replicas. */
  nodes: RedisProcess[];
  /** Breaks both replicas' links to the master for `ms`, then lets them reconnect. */
  cutReplicaLinks(ms: number): Promise<void>;
  /**
   * What the provider does when the master dies: kill it, promote the first replica, point the
   * other at it, and move the endpoint (open connections are cut).
   */
  failover(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A stand-in for a managed Redis: one endpoint (a TCP forwarder) in front of a master and two
 * replicas, each replica's link to the master running through a forwarder of its own so that
 * the test can cut it.
 */
export async function startManagedEndpoint(): Promise<ManagedEndpoint> {
  const master = await startNode([]);
  const links = await Promise.all([startTcpForwarder(master.port), startTcpForwarder(master.port)]);
  const replicas = await Promise.all(
    links.map((link) => startNode(['--replicaof', '127.0.0.1', String(link.port)])),
  );
  await eventually(async () => {
    const replication = await info(master.port, 'replication');
    return replication.get('connected_slaves') === '2' ? true : undefined;
  }, 15_000);
  const endpoint = await startTcpForwarder(master.port);
  const [first, second] = replicas as [RedisProcess, RedisProcess];
  return {
    url: `redis://127.0.0.1:${endpoint.port}`,
    nodes: [master, ...replicas],
    async cutReplicaLinks(ms) {
      for (const link of links) {
        link.setTarget(null);
        link.cutAll();
      }
      await new Promise((resolve) => setTimeout(resolve, ms));
      for (const link of links) link.setTarget(master.port);
    },
    async failover() {
      await master.kill();
      await command(first.port, 'REPLICAOF', 'NO', 'ONE');
      await command(second.port, 'REPLICAOF', '127.0.0.1', String(first.port));
      endpoint.setTarget(first.port);
      endpoint.cutAll();
    },
    async stop() {
      await Promise.all([endpoint, ...links].map((f) => f.close()));
      await Promise.all([master, ...replicas].map((n) => n.stop()));
    },
  };
}
