import assert from 'node:assert/strict';
import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import type { PostsAnswer } from '../../shared/contract/http.js';
import { freePort } from '../../server/launch/redis-process.js';
import {
  acceptedOf,
  getJson,
  isAlive,
  kill,
  postArticles,
  startCluster,
  type Cluster,
  type ServerProcess,
} from '../helpers/cluster.js';
import { watchChannel, type FeedReader } from '../helpers/feed-reader.js';
import { findHaproxy, startHaproxy, type Haproxy } from '../helpers/haproxy.js';
import { eventually, within } from '../helpers/khabar.js';
import { sharedRedis } from '../helpers/redis.js';

/**
 * deploy/haproxy.cfg, run unchanged by a real HAProxy in front of three server processes:
 * readers on every transport survive the death of their node, long-polling sessions stick
 * to theirs, a node that cannot reach Redis gets no traffic, and /metrics stays private.
 */

const CHANNEL = 'balancer';
/** The feed client's largest list: every post of a test fits, so "missed nothing" is visible. */
const LIMIT = 50;

const sorted = (ids: readonly string[]): string[] => [...ids].sort();

/**
 * POSTs one article until it is accepted (202). A POST that was in flight on a killed node
 * fails; sending it again is safe: the post id comes from the URL, so it never makes a second
 * post.
 */
async function publish(url: string, body: unknown): Promise<string> {
  return eventually(async () => {
    const answer = await postArticles(url, body).catch(() => undefined);
    return answer?.status === 202 ? acceptedOf(answer)[0]!.id : undefined;
  }, 30_000);
}

/** The channel's list as the service answers it over HTTP, newest first. */
async function serviceIds(url: string): Promise<string[]> {
  const answer = await getJson(url, `/api/posts?channel=${CHANNEL}&limit=${LIMIT}`);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return (answer.body as PostsAnswer).posts.map((post) => post.id);
}

/** The server process holding the reader's current connection (from its `socket.connected` log). */
function nodeOf(cluster: Cluster, reader: FeedReader): Promise<ServerProcess> {
  const socketId = reader.connections.at(-1);
  return eventually(() =>
    cluster.servers.find((server) =>
      server.logs.some((l) => l.event === 'socket.connected' && l.socketId === socketId),
    ),
  );
}

/** An engine.io long-polling handshake, as a browser sends it (with `cookie`, if given). */
async function handshake(
  url: string,
  cookie?: string,
): Promise<{ sid: string; setCookie: string[] }> {
  const response = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, {
    headers: cookie ? { cookie } : {},
  });
  const body = await response.text();
  assert.equal(response.status, 200, body);
  // "0" (open) then the JSON of the session.
  const { sid } = JSON.parse(body.slice(1)) as { sid: string };
  return { sid, setCookie: response.headers.getSetCookie() };
}

/**
 * One more request of the polling session `sid` (a noop packet): 200 where the session lives,
 * 400 "Session ID unknown" on any other node.
 */
async function poll(url: string, sid: string, cookie?: string): Promise<number> {
  const response = await fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', ...(cookie ? { cookie } : {}) },
    body: '6',
  });
  await response.arrayBuffer();
  return response.status;
}

describe('HAProxy with deploy/haproxy.cfg in front of three server nodes', function () {
  this.timeout(120_000);

  let cluster: Cluster | undefined;
  let haproxy: Haproxy | undefined;

  before(() => {
    findHaproxy();
  });

  afterEach(async () => {
    // Every child is killed whatever happened (nodes and workers SIGKILLed, HAProxy too).
    await cluster?.close({ cleanKeys: true }).catch(() => undefined);
    await haproxy?.stop().catch(() => undefined);
    cluster = haproxy = undefined;
  });

  /** Three server nodes and two worker processes on the suite's Redis, HAProxy in front. */
  async function startService(): Promise<{ nodes: ServerProcess[]; haproxy: Haproxy }> {
    cluster = startCluster({ redisUrl: sharedRedis().url });
    const running = cluster;
    const nodes = await Promise.all([1, 2, 3].map(() => running.startServer()));
    await Promise.all([running.startWorker(), running.startWorker()]);
    haproxy = await startHaproxy(nodes.map((node) => node.port));
    await haproxy.waitForStates(Object.fromEntries(haproxy.servers.map((s) => [s.name, 'UP'])));
    return { nodes, haproxy };
  }

  it('keeps websocket and long-polling readers whole through SIGKILLs of their nodes: each ends with exactly the service list', async () => {
    const { nodes, haproxy: balancer } = await startService();
    const running = cluster!;
    const base = Date.now() - 30 * 60_000;
    const article = (n: number): Record<string, unknown> => ({
      url: `https://example.com/${CHANNEL}/${n}`,
      title: `Balancer story ${n}`,
      channel: CHANNEL,
      publishedAt: new Date(base + n * 1000).toISOString(),
    });

    // Readers reconnect by themselves, as pages do (quicker than the defaults, for the test).
    const reconnecting = { reconnection: true, reconnectionDelay: 200, reconnectionDelayMax: 1000 };
    const kinds: [string, Partial<ManagerOptions & SocketOptions>][] = [
      ['websocket', { transports: ['websocket'] }],
      // A same-origin page (or a credentialed client): keeps HAProxy's SERVERID cookie.
      ['polling, with the cookie', { transports: ['polling'], withCredentials: true }],
      // A widget polling cross-origin sends no cookie: its address keeps it on its node.
      ['polling, no cookie', { transports: ['polling'] }],
      // Socket.IO's default: polling first, then the upgrade must reach the same node.
      ['polling, then upgraded', { transports: ['polling', 'websocket'] }],
    ];
    const readers: FeedReader[] = [];
    for (const [name, options] of kinds) {
      const socket = running.open(balancer.url, { ...reconnecting, ...options });
      const reader = watchChannel(name, socket, CHANNEL, LIMIT);
      readers.push(reader);
      // One at a time: each polling handshake then finds the address its predecessor left.
      await within(
        () => (reader.lists.length > 0 ? true : undefined),
        10_000,
        () => `${name}: no list yet, ${reader.connections.length} connections`,
      );
    }

    const posted: string[] = [];
    let next = 0;
    const publishSome = async (count: number, gapMs: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        posted.push(await publish(balancer.url, article(next++)));
        await new Promise((resolve) => setTimeout(resolve, gapMs));
      }
    };
    const explain = (): string =>
      readers
        .map((r) => {
          const missing = posted.filter((id) => !r.ids().includes(id)).length;
          return `${r.name}: ${r.connections.length} connections, connected ${r.socket.connected}, ${missing} of ${posted.length} posts missing`;
        })
        .join('; ');
    const caughtUp = (): Promise<boolean> =>
      within(
        () => (readers.every((r) => posted.every((id) => r.ids().includes(id))) ? true : undefined),
        30_000,
        explain,
      );

    await publishSome(6, 0);
    await caughtUp();
    const firstNodes = new Map<FeedReader, ServerProcess>();
    for (const reader of readers) firstNodes.set(reader, await nodeOf(running, reader));
    const pollingNodes = new Set(readers.slice(1).map((r) => firstNodes.get(r)?.port));
    assert.equal(
      pollingNodes.size,
      1,
      'the polling readers (one address) should share a node: the cookie or the address pins them',
    );

    // Kill the node of each reader that has not moved yet, while articles keep coming.
    const killed: ServerProcess[] = [];
    for (const reader of readers) {
      if (reader.connections.length > 1) continue;
      const node = await nodeOf(running, reader);
      const before = posted.length;
      const during = publishSome(8, 100);
      await eventually(() => (posted.length >= before + 2 ? true : undefined), 10_000);
      assert.equal(await kill(node), 'SIGKILL');
      killed.push(node);
      await during;
      await caughtUp();
    }
    assert.ok(killed.length >= 1 && killed.length < nodes.length, `killed ${killed.length}`);
    await publishSome(6, 0);
    await caughtUp();

    // The service has every post once; each reader shows exactly the service's list.
    const service = await within(
      async () => {
        const ids = await serviceIds(balancer.url);
        return ids.length === posted.length ? ids : undefined;
      },
      15_000,
      () => `posted ${posted.length}`,
    );
    assert.deepEqual(sorted(service), sorted(posted));
    await within(
      () => (readers.every((r) => r.ids().join() === service.join()) ? true : undefined),
      10_000,
      explain,
    );
    for (const reader of readers) {
      assert.deepEqual(reader.ids(), service, reader.name);
      for (const list of reader.lists) {
        const ids = list.map((post) => post.id);
        assert.equal(new Set(ids).size, ids.length, `${reader.name} was shown a post twice`);
      }
      assert.ok(reader.connections.length >= 2, `${reader.name} should have reconnected`);
      const now = await nodeOf(running, reader);
      assert.ok(isAlive(now), `${reader.name} is on a killed node`);
      assert.notEqual(now.port, firstNodes.get(reader)?.port, `${reader.name} never moved`);
    }
    assert.deepEqual(
      readers.map((r) => r.transport()),
      ['websocket', 'polling', 'polling', 'websocket'],
    );

    // HAProxy's checks saw it too: the killed nodes are down, the others up.
    const down = new Set(killed.map((node) => node.port));
    await balancer.waitForStates(
      Object.fromEntries(balancer.servers.map((s) => [s.name, down.has(s.port) ? 'DOWN' : 'UP'])),
    );
    console.log(
      `      ${killed.length} nodes killed, ${posted.length} posts; connections per reader: ` +
        readers.map((r) => `${r.name} ${r.connections.length}`).join(', ') +
        `; resubscribes: ${readers.map((r) => r.client.stats.resubscribes).join(', ')}`,
    );
  });

  it('routes a long-polling session by its address, or by its SERVERID cookie when it has one; no cookie and no /metrics elsewhere', async () => {
    const { nodes, haproxy: balancer } = await startService();
    const direct = (port: number): string => `http://127.0.0.1:${port}`;

    // A first handshake from this address: the balancer places it and its answer sets the
    // cookie; the session's later requests without a cookie follow the address to the node.
    const first = await handshake(balancer.url);
    const set = first.setCookie.find((c) => c.startsWith('SERVERID='));
    assert.match(set ?? '', /^SERVERID=n[123]; path=\/; HttpOnly$/, first.setCookie.join(' | '));
    const holder = balancer.servers.find((s) => set?.startsWith(`SERVERID=${s.cookie};`));
    assert.ok(holder);
    for (const other of balancer.servers) {
      const status = await poll(direct(other.port), first.sid);
      assert.equal(status, other === holder ? 200 : 400, other.name);
    }
    for (let i = 0; i < 6; i++) {
      assert.equal(await poll(balancer.url, first.sid), 200, `request ${i}`);
    }

    // A cookie names the node, whatever the address did before.
    for (const server of balancer.servers) {
      const cookie = `SERVERID=${server.cookie}`;
      const { sid } = await handshake(balancer.url, cookie);
      for (const other of balancer.servers) {
        assert.equal(await poll(direct(other.port), sid), other === server ? 200 : 400, other.name);
      }
      assert.equal(await poll(balancer.url, sid, cookie), 200);
    }

    // Stateless requests carry no persistence cookie (widget.js stays cacheable).
    for (const path of ['/widget.js', `/api/posts?channel=${CHANNEL}`, '/readyz']) {
      const response = await fetch(`${balancer.url}${path}`);
      await response.arrayBuffer();
      assert.equal(response.status, 200, path);
      assert.deepEqual(response.headers.getSetCookie(), [], path);
    }

    // Prometheus scrapes each node; the public entry point has no /metrics in any spelling.
    for (const path of ['/metrics', '/METRICS', '/metrics/']) {
      assert.equal((await fetch(`${balancer.url}${path}`)).status, 404, path);
    }
    assert.equal((await fetch(`${nodes[0]!.url}/metrics`)).status, 200);
    const own = await fetch(`${balancer.statsUrl}/metrics`);
    assert.equal(own.status, 200);
    assert.match(await own.text(), /^haproxy_backend_active_servers\{proxy="khabar_sockets"\} 3$/m);
  });

  it('keeps a node that cannot reach Redis (GET /readyz 503) out of rotation, even for its cookie; with no node ready, answers 503 and Retry-After itself', async () => {
    cluster = startCluster({ redisUrl: sharedRedis().url });
    const running = cluster;
    const ready = await Promise.all([running.startServer(), running.startServer()]);
    // Nothing listens there: the node starts, listens, and answers /readyz with 503.
    const unready = await running.startServer({
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
    assert.equal((await fetch(`${unready.url}/readyz`)).status, 503);
    haproxy = await startHaproxy([...ready, unready].map((node) => node.port));
    const [one, two, three] = haproxy.servers;
    await haproxy.waitForStates({ [one!.name]: 'UP', [two!.name]: 'UP', [three!.name]: 'DOWN' });
    // Down because it answered something else than 200, not because it was unreachable.
    assert.equal((await haproxy.states()).get(three!.name)?.check, 'L7STS');

    const sockets = [];
    for (let i = 0; i < 6; i++) sockets.push(await running.connect(haproxy.url));
    const nodes = await Promise.all(
      sockets.map((socket) =>
        eventually(() =>
          running.servers.find((server) =>
            server.logs.some((l) => l.event === 'socket.connected' && l.socketId === socket.id),
          ),
        ),
      ),
    );
    assert.ok(
      nodes.every((node) => node !== unready),
      'a reader was sent to the node without Redis',
    );
    // Spread over both ready nodes (leastconn), not all on one.
    assert.equal(new Set(nodes.map((node) => node.port)).size, 2);

    // A cookie for the node that is down is overridden (option redispatch) and replaced.
    const { setCookie } = await handshake(haproxy.url, `SERVERID=${three!.cookie}`);
    assert.match(setCookie.join(' | '), new RegExp(`SERVERID=(${one!.cookie}|${two!.cookie});`));

    // No node ready: HAProxy answers as a node without Redis would, so producers retry.
    await Promise.all(ready.map(kill));
    await haproxy.waitForStates({
      [one!.name]: 'DOWN',
      [two!.name]: 'DOWN',
      [three!.name]: 'DOWN',
    });
    const refused = await postArticles(haproxy.url, { url: 'https://example.com/x', title: 'x' });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '2');
    assert.deepEqual(refused.body, {
      error: 'redis_unavailable',
      message: 'Storage is unavailable; retry in a few seconds.',
    });
  });
});
