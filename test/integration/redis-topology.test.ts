import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { eventually } from '../helpers/khabar.js';
import { startTcpForwarder } from '../helpers/tcp-forwarder.js';
import { command, info, startRedisCluster, startSentinelSet } from '../helpers/redis-topology.js';

/**
 * The replicated topologies the failover tests run Khabar on (SPEC §10): each must really fail
 * over here, or those tests would prove nothing.
 */
describe('replicated Redis topologies for the failover tests', function () {
  this.timeout(90_000);

  it('a Sentinel set promotes a replica, which keeps a replica of its own, when its master is killed', async () => {
    const set = await startSentinelSet();
    try {
      const first = await set.masterPort();
      assert.equal(first, set.nodes[0]?.port);
      // WAIT counts the writes of its own connection: both on one client.
      const writer = new Redis({ port: first, host: '127.0.0.1' });
      await writer.set('k', 'v');
      assert.equal(await writer.wait(2, 5000), 2);
      writer.disconnect();
      await set.nodes[0]?.kill();
      const promoted = await set.waitForNewMaster(first);
      assert.notEqual(promoted, first);
      assert.equal(await command(promoted, 'GET', 'k'), 'v');
      // The third node follows the new master, so a write can still reach a replica.
      const replication = await eventually(async () => {
        const fields = await info(promoted, 'replication');
        return fields.get('connected_slaves') === '1' ? fields : undefined;
      }, 20_000);
      assert.equal(replication.get('role'), 'master');
    } finally {
      await set.stop();
    }
  });

  it('a cluster of three masters with two replicas each serves the {feed} slot', async () => {
    const cluster = await startRedisCluster();
    try {
      assert.equal(cluster.nodes.length, 9);
      const port = await cluster.masterOf('{feed}');
      const client = new Redis.Cluster([{ host: '127.0.0.1', port }], { lazyConnect: false });
      try {
        await client.set('khabar:{feed}:probe', '1');
        assert.equal(await client.get('khabar:{feed}:probe'), '1');
      } finally {
        client.disconnect();
      }
    } finally {
      await cluster.stop();
    }
  });

  it('a TCP forwarder moves, cuts and refuses connections like a managed endpoint', async () => {
    const set = await startSentinelSet({ replicas: 0, sentinels: 1 });
    const endpoint = await startTcpForwarder(set.nodes[0]?.port ?? null);
    const client = new Redis({ port: endpoint.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      assert.equal(await client.ping(), 'PONG');
      endpoint.setTarget(null);
      endpoint.cutAll();
      await assert.rejects(client.ping());
    } finally {
      client.disconnect();
      await endpoint.close();
      await set.stop();
    }
  });
});
