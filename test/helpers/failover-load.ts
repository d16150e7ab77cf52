import assert from 'node:assert/strict';
import { createFeedClient, type FeedClient } from '../../shared/contract/feed-client.js';
import { createChannelLog } from '../../shared/domain/channel-log.js';
import { createKeys } from '../../shared/domain/keys.js';
import { createLogger } from '../../shared/infra/logger.js';
import { createRedis } from '../../shared/infra/redis.js';
import { createRedisHealth } from '../../shared/infra/redis-health.js';
import { getJson, postArticles, startCluster, type Cluster } from './cluster.js';
import { eventually } from './khabar.js';

/** Every reader watches this channel with the largest limit a subscribe allows. */
const CHANNEL = 'top';
const READER_LIMIT = 50;

/** What a run under load measured, for the assertions and the closing note. */
export interface FailoverReport {
  /** Articles answered 202. */
  accepted: number;
  /** Of those, answered while the fault was under way. */
  acceptedDuringFault: number;
  /** Answers other than 202 (503s and refused connections) from the fault's start on. */
  refused: number;
  /** Why, by error code (`replicas_unreached`, `redis_unavailable`, `unreachable`). */
  refusedBy: Record<string, number>;
  /** The longest time without a 202 after the fault started: how long writes were refused. */
  writesRefusedMs: number;
  /** Accepted articles that never became posts (must be 0). */
  lost: number;
  /** Their ids, to look for in the logs. */
  lostIds: string[];
  /** Times a reader's socket closed: a Redis failover must not disconnect readers (0). */
  readerDisconnects: number;
  /** Readers whose list differs from the service's at the end (must be 0). */
  divergentReaders: number;
  /** Server nodes whose `/readyz` is not 200 once the new master serves (must be 0). */
  unreadyNodes: number;
  /** What the server nodes logged: `redis.failover` lines and jobs queued again. */
  failoverLogs: number;
  requeued: number;
}

export interface FailoverLoadOptions {
  redisUrl: string;
  /** Extra environment for every Khabar process. */
  env?: Record<string, string>;
  /** The fault, run while articles keep coming. */
  fault: (cluster: Cluster) => Promise<void>;
  /** Articles answered 202 after the fault before the load stops. */
  acceptedAfter?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Two server nodes and a worker process on `redisUrl`, a reader on each node (the shared feed
 * client: it resubscribes with its cursor, as the contract asks), and a steady stream of
 * single-article POSTs alternating between the nodes while `fault` runs. Then every accepted
 * article must be a post, and every reader's list the service's.
 */
export async function failoverUnderLoad(options: FailoverLoadOptions): Promise<FailoverReport> {
  const cluster = startCluster({
    redisUrl: options.redisUrl,
    // Every post stays listed, so "every 202 is a post" is one snapshot; a job that a worker
    // held on the lost master is handed out again within seconds.
    env: { RECENT_LIMIT: '1000', WORKER_LOCK_MS: '2000', LOG_LEVEL: 'info', ...options.env },
  });
  const readers: FeedClient[] = [];
  const logger = createLogger({ level: 'silent', role: 'test' });
  const data = createRedis({
    url: options.redisUrl,
    role: 'blocking',
    name: 'test:failover',
    health: createRedisHealth({ logger }),
  });
  data.on('error', () => undefined);
  try {
    const servers = [await cluster.startServer(), await cluster.startServer()];
    await cluster.startWorker();
    let readerDisconnects = 0;
    for (const server of servers) {
      const socket = cluster.open(server.url, {
        reconnection: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 500,
      });
      socket.on('disconnect', () => {
        readerDisconnects++;
      });
      const reader = createFeedClient({ socket, ackTimeoutMs: 2000 });
      reader.watch(CHANNEL, () => undefined, { limit: READER_LIMIT });
      readers.push(reader);
    }

    const accepted = new Set<string>();
    const answers: { at: number; ok: boolean; error?: string }[] = [];
    const traffic = { stopped: false };
    let n = 0;
    const load = (async () => {
      while (!traffic.stopped) {
        const server = servers[n % servers.length];
        const body = {
          url: `https://example.com/failover/${n}`,
          title: `Failover story ${n}`,
          // A second apart, so the service's order is the order of sending.
          publishedAt: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
          channels: [CHANNEL],
        };
        n++;
        const reply = await postArticles(server?.url ?? '', body).catch(() => undefined);
        const ok = reply?.status === 202;
        if (reply && !ok) assert.equal(reply.status, 503, JSON.stringify(reply.body));
        if (ok) {
          const [first] = (reply.body as { accepted: { id: string }[] }).accepted;
          if (first) accepted.add(first.id);
        }
        const error = reply ? (reply.body as { error?: string }).error : 'unreachable';
        answers.push({ at: Date.now(), ok, ...(ok ? {} : { error }) });
        await sleep(30);
      }
    })();

    await eventually(() => (accepted.size >= 20 ? true : undefined), 20_000);
    const faultStart = Date.now();
    await options.fault(cluster);
    const faultEnd = Date.now();
    const before = accepted.size;
    await eventually(
      () => (accepted.size >= before + (options.acceptedAfter ?? 20) ? true : undefined),
      60_000,
    );
    traffic.stopped = true;
    await load;

    const log = createChannelLog(data, createKeys(cluster.keyPrefix), {
      recentLimit: 1000,
      historyLimit: 1000,
    });
    // Jobs a worker held on the lost master run again once their lock expires.
    const service = await eventually(async () => {
      const snapshot = await log.snapshot(CHANNEL, 1000);
      const ids = new Set(snapshot.posts.map((p) => p.id));
      return [...accepted].every((id) => ids.has(id)) ? snapshot : undefined;
    }, 60_000).catch(async () => log.snapshot(CHANNEL, 1000));
    const listed = new Set(service.posts.map((p) => p.id));
    const newest = service.posts.slice(0, READER_LIMIT).map((p) => p.id);
    const sameAsService = (reader: FeedClient): boolean =>
      JSON.stringify(reader.view(CHANNEL)?.posts.map((p) => p.id)) === JSON.stringify(newest);
    await eventually(() => (readers.every(sameAsService) ? true : undefined), 30_000).catch(
      () => undefined,
    );

    let writesRefusedMs = 0;
    let lastOk = faultStart;
    for (const { at, ok } of answers) {
      if (at < faultStart || !ok) continue;
      writesRefusedMs = Math.max(writesRefusedMs, at - lastOk);
      lastOk = at;
    }
    const after = answers.filter((a) => a.at >= faultStart);
    const lostIds = [...accepted].filter((id) => !listed.has(id));
    if (lostIds.length > 0 && process.env.KHABAR_FAILOVER_TRACE) {
      for (const run of [...servers, ...cluster.workers])
        for (const line of run.logs)
          if (
            lostIds.some((id) => JSON.stringify(line).includes(id)) ||
            /failover|requeued|stalled/.test(String(line.event))
          )
            console.log('TRACE', JSON.stringify(line));
    }
    const logged = (event: string): Record<string, unknown>[] =>
      servers.flatMap((server) => server.logs.filter((line) => line.event === event));
    return {
      accepted: accepted.size,
      acceptedDuringFault: after.filter((a) => a.ok && a.at <= faultEnd).length,
      refused: after.filter((a) => !a.ok).length,
      refusedBy: Object.fromEntries(
        [...new Set(after.flatMap((a) => (a.error ? [a.error] : [])))].map((code) => [
          code,
          after.filter((a) => a.error === code).length,
        ]),
      ),
      writesRefusedMs,
      lost: [...accepted].filter((id) => !listed.has(id)).length,
      lostIds: lostIds.slice(0, 5),
      readerDisconnects,
      unreadyNodes: (
        await Promise.all(
          servers.map(async (server) => (await getJson(server.url, '/readyz')).status),
        )
      ).filter((status) => status !== 200).length,
      divergentReaders: readers.filter((r) => !sameAsService(r)).length,
      failoverLogs: logged('redis.failover').length,
      requeued: logged('ingest.requeued').reduce((sum, line) => sum + Number(line.jobs), 0),
    };
  } finally {
    for (const reader of readers) reader.close();
    data.disconnect();
    await cluster.close();
  }
}

/** The assertions every failover test makes, with the figures printed for the closing note. */
export function assertNothingLost(name: string, report: FailoverReport): void {
  console.log(`      ${name}: ${JSON.stringify(report)}`);
  assert.equal(report.lost, 0, 'accepted articles that are not posts');
  assert.equal(report.divergentReaders, 0, 'readers whose list is not the service list');
  assert.equal(report.readerDisconnects, 0, 'readers disconnected by a Redis failover');
  assert.equal(report.unreadyNodes, 0, 'nodes not ready once the new master serves');
}
