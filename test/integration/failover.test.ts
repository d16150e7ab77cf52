import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { builtProgram } from '../helpers/processes.js';
import { assertNothingLost, failoverUnderLoad } from '../helpers/failover-load.js';
import { postArticles, startCluster } from '../helpers/cluster.js';
import {
  command,
  info,
  startManagedEndpoint,
  startNode,
  startRedisCluster,
  startSentinelSet,
  type SentinelSet,
} from '../helpers/redis-topology.js';
import { eventually } from '../helpers/khabar.js';

const run = promisify(execFile);

/**
 * SPEC §10: a Redis failover loses no accepted article, and leaves no reader showing a post the
 * service lost. Each test runs Khabar's real processes on a replicated Redis of its own, fails
 * it over under a steady stream of POSTs, then compares every 202 with the posts and every
 * reader's list with the service's.
 */
describe('Redis failover', function () {
  this.timeout(180_000);

  describe('a Sentinel set (a master, two replicas, three sentinels)', function () {
    const faults: [name: string, fault: (set: SentinelSet, master: number) => Promise<unknown>][] =
      [
        [
          'the master is killed (SIGKILL)',
          async (set, master) => set.nodes.find((node) => node.port === master)?.kill(),
        ],
        [
          'a graceful SENTINEL FAILOVER',
          async (set) =>
            command(set.sentinels[0]?.port ?? 0, 'SENTINEL', 'FAILOVER', set.masterName),
        ],
      ];
    for (const [name, fault] of faults) {
      it(`loses nothing when ${name}`, async () => {
        const set = await startSentinelSet();
        try {
          const report = await failoverUnderLoad({
            redisUrl: set.url,
            fault: async () => {
              const old = await set.masterPort();
              await fault(set, old);
              await set.waitForNewMaster(old);
            },
          });
          assertNothingLost(`sentinel, ${name}`, report);
        } finally {
          await set.stop();
        }
      });
    }
  });

  it('a managed endpoint (redis://, REDIS_MIN_REPLICAS=1): replica links cut, master killed, replica promoted, endpoint moved', async () => {
    const managed = await startManagedEndpoint();
    try {
      const report = await failoverUnderLoad({
        redisUrl: managed.url,
        env: { REDIS_MIN_REPLICAS: '1' },
        fault: async () => {
          // The master goes on taking writes that reach no replica: none may be answered 202.
          await managed.cutReplicaLinks(1500);
          await managed.failover();
        },
      });
      assertNothingLost('managed endpoint', report);
      assert.ok(report.refused > 0, 'writes while no replica was linked were refused');
    } finally {
      await managed.stop();
    }
  });

  describe('a Cluster (three masters, two replicas each)', function () {
    it('loses nothing when the master of the data is killed, then through CLUSTER FAILOVER', async () => {
      const cluster = await startRedisCluster();
      try {
        const killed = await failoverUnderLoad({
          redisUrl: cluster.url,
          fault: async () => {
            const old = await cluster.masterOf('{feed}');
            await cluster.nodes.find((node) => node.port === old)?.kill();
            await eventually(async () => {
              const now = await cluster.masterOf('{feed}').catch(() => old);
              return now === old ? undefined : true;
            }, 30_000);
          },
        });
        assertNothingLost('cluster, master killed', killed);

        const graceful = await failoverUnderLoad({
          redisUrl: cluster.url,
          fault: async () => {
            const old = await cluster.masterOf('{feed}');
            const replica = await eventually(async () => {
              for (const node of cluster.nodes) {
                const role = await command(node.port, 'ROLE').catch(() => undefined);
                if (Array.isArray(role) && role[0] === 'slave' && Number(role[2]) === old) {
                  return node.port;
                }
              }
              return undefined;
            });
            await command(replica, 'CLUSTER', 'FAILOVER');
            await eventually(async () =>
              (await cluster.masterOf('{feed}')) === replica ? true : undefined,
            );
          },
        });
        assertNothingLost('cluster, CLUSTER FAILOVER', graceful);
      } finally {
        await cluster.stop();
      }
    });
  });

  it('answers 503 while no replica holds the article, never 202, and 202 again once one does', async () => {
    const master = await startNode([]);
    const replica = await startNode(['--replicaof', '127.0.0.1', String(master.port)]);
    const linked = async (count: number): Promise<true | undefined> =>
      (await info(master.port, 'replication')).get('connected_slaves') === String(count)
        ? true
        : undefined;
    await eventually(() => linked(1), 15_000);
    const cluster = startCluster({
      redisUrl: master.url,
      env: { REDIS_MIN_REPLICAS: '1', REDIS_REPLICA_WAIT_MS: '200' },
    });
    try {
      const server = await cluster.startServer();
      const article = (n: number) => ({
        url: `https://example.com/replicas/${n}`,
        title: `Replicated story ${n}`,
      });
      await eventually(
        async () =>
          (await postArticles(server.url, article(0))).status === 202 ? true : undefined,
        15_000,
      );
      await replica.kill();
      await eventually(() => linked(0), 15_000);
      const refused = await postArticles(server.url, article(1));
      assert.equal(refused.status, 503);
      assert.equal((refused.body as { error: string }).error, 'replicas_unreached');
      assert.ok(Number(refused.headers.get('retry-after')) > 0);

      const back = await startNode(['--replicaof', '127.0.0.1', String(master.port)]);
      try {
        await eventually(() => linked(1), 15_000);
        await eventually(
          async () =>
            (await postArticles(server.url, article(2))).status === 202 ? true : undefined,
          15_000,
        );
      } finally {
        await back.kill();
      }
    } finally {
      await cluster.close();
      // Killed, not stopped: a master shutting down waits for its replicas to catch up.
      await Promise.all([replica.kill(), master.kill()]);
    }
  });

  describe('a bad REDIS_URL', function () {
    for (const [url, expected] of [
      ['redis+sentinel://:hunter2@127.0.0.1:26379', /master name/],
      ['redis+cluster://127.0.0.1:7000/2', /no path/],
      ['redis://:hunter2@127.0.0.1:99999', /out of range/],
      ['mongodb://127.0.0.1', /scheme/],
    ] as const) {
      it(`${url.replace('hunter2', '***')}: exits 1 with one line, no stack, no password`, async () => {
        for (const program of ['server/main.js', 'workers/main.js']) {
          const failed = await run(process.execPath, [builtProgram(program)], {
            env: { ...process.env, REDIS_URL: url, NODE_ENV: 'test' },
          }).then(
            () => assert.fail(`${program} started with REDIS_URL=${url}`),
            (err: unknown) => err as { code: number; stderr: string },
          );
          assert.equal(failed.code, 1);
          const lines = failed.stderr.trimEnd().split('\n');
          assert.equal(lines.length, 1, failed.stderr);
          assert.match(lines[0] ?? '', expected);
          assert.match(lines[0] ?? '', /REDIS_URL/);
          assert.doesNotMatch(failed.stderr, /hunter2|\n\s+at /);
        }
      });
    }
  });
});
