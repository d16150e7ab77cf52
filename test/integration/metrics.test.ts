import assert from 'node:assert/strict';
import { createIngestQueue } from '../../shared/domain/ingest-queue.js';
import type { ChannelsAnswer } from '../../shared/contract/http.js';
import {
  eventually,
  nextEvent,
  startKhabar,
  subscribe,
  type TestKhabar,
} from '../helpers/khabar.js';
import { readSse } from '../helpers/sse-reader.js';

/** Samples of Prometheus text, checking every line has the exposition format. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    // Values as Prometheus parses them (Go's ParseFloat: NaN and Inf in any case).
    const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (-?[\d.e+-]+|nan|[+-]?inf)$/i.exec(line);
    assert.ok(match, `not Prometheus text: ${line}`);
    samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

async function scrape(
  khabar: TestKhabar,
  token: string | null = null,
): Promise<Map<string, number>> {
  const answer = await khabar.request('GET', '/metrics', { token });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/);
  return parseMetrics(answer.body as string);
}

describe('GET /metrics', function () {
  it('exposes Prometheus text that moves when traffic flows', async () => {
    const khabar = await startKhabar();
    try {
      const socket = await khabar.connect();
      assert.equal((await subscribe(socket, { channel: 'top' })).ok, true);
      const before = await scrape(khabar);
      assert.equal(before.get('khabar_connections{namespace="/"}'), 1);
      assert.equal(before.get('khabar_ingest_accepted_total'), 0);

      const arriving = nextEvent(socket, 'post:new');
      await khabar.postArticles({
        articles: [{ url: 'https://example.com/m', title: 'Metered' }, { title: 'no url' }],
      });
      await arriving;
      const after = await eventually(async () => {
        const samples = await scrape(khabar);
        return samples.get('khabar_events_pushed_total{type="post:new"}') === 1
          ? samples
          : undefined;
      });
      assert.equal(after.get('khabar_ingest_accepted_total'), 1);
      assert.equal(after.get('khabar_ingest_rejected_total'), 1);
      assert.equal(after.get('khabar_deliveries_total'), 1);
      assert.ok(after.has('khabar_queue_jobs{queue="ingest",state="waiting"}'));
      assert.ok(after.has('khabar_process_cpu_user_seconds_total'));
    } finally {
      await khabar.close();
    }
  });

  it('counts Server-Sent Events streams as readers: streams, subscriptions, deliveries, viewers', async () => {
    const khabar = await startKhabar({ timings: { presenceIntervalMs: 50 } });
    const streams = await Promise.all(
      ['top', 'top', 'bihar'].map((channel) =>
        readSse(`${khabar.url}/api/stream?channel=${channel}`),
      ),
    );
    try {
      for (const stream of streams) await stream.next((frame) => frame.event === 'snapshot');
      const socket = await khabar.connect();
      assert.equal((await subscribe(socket, { channel: 'top' })).ok, true);
      const before = await scrape(khabar);
      assert.equal(before.get('khabar_streams'), 3);
      assert.equal(before.get('khabar_subscriptions'), 4);

      await khabar.postArticles({
        url: 'https://example.com/streamed',
        title: 'Streamed',
        channel: 'top',
      });
      for (const stream of streams.slice(0, 2))
        await stream.next((frame) => frame.event === 'post:new');
      // One socket and two streams of top got a copy each.
      const after = await eventually(async () => {
        const samples = await scrape(khabar);
        return samples.get('khabar_deliveries_total') === 3 ? samples : undefined;
      });
      assert.equal(after.get('khabar_events_pushed_total{type="post:new"}'), 1);

      // Viewers summed over the nodes' presence reports: the socket and both streams of top.
      await eventually(async () => {
        const { body } = await khabar.request('GET', '/api/channels');
        const top = (body as ChannelsAnswer).find((c) => c.channel === 'top');
        return top?.viewers === 3 ? true : undefined;
      });
    } finally {
      for (const stream of streams) stream.close();
      await khabar.close();
    }
  });

  it('serves the workers’ job durations and failures, and publish-to-deliver latency', async () => {
    const khabar = await startKhabar();
    try {
      const socket = await khabar.connect();
      assert.equal((await subscribe(socket, { channel: 'top' })).ok, true);
      assert.equal((await subscribe(socket, { channel: 'bihar' })).ok, true);
      const arriving = nextEvent(socket, 'post:new');
      await khabar.postArticles({ url: 'https://example.com/timed', title: 'Timed' });
      await arriving;
      const queue = createIngestQueue(khabar.redis, khabar.keys);
      const broken = await queue.add('article', {
        article: { id: 'pbroken', url: 'https://example.com/b', title: '', channels: [] },
        acceptedAt: Date.now(),
        source: 'api',
      });
      await eventually(async () => ((await broken.getState()) === 'failed' ? true : undefined));
      await queue.close();
      // A worker adds its counts to Redis every few seconds, and once more as it stops.
      await khabar.workers?.close(1000);

      const samples = await scrape(khabar);
      const completed = 'khabar_job_duration_seconds_count{queue="ingest",outcome="completed"}';
      assert.equal(samples.get(completed), 1);
      assert.equal(
        samples.get('khabar_job_duration_seconds_count{queue="ingest",outcome="failed"}'),
        1,
      );
      assert.equal(
        samples.get(
          'khabar_job_duration_seconds_bucket{queue="ingest",outcome="completed",le="+Inf"}',
        ),
        1,
      );
      assert.equal(samples.get('khabar_ingest_failed_total{final="true"}'), 1);
      assert.equal(samples.get('khabar_publish_to_deliver_seconds_count'), 1);
      // The same event, hop by hop; the hops up to the read add up to at most its
      // publish-to-deliver (one clock here; a negative hop counts as 0, hence a ms per hop).
      const hop = (name: string, what: 'count' | 'sum'): number =>
        samples.get(`khabar_fanout_hop_seconds_${what}{hop="${name}"}`) ?? Number.NaN;
      for (const name of ['queue', 'script', 'read', 'write']) assert.equal(hop(name, 'count'), 1);
      const toRead = hop('queue', 'sum') + hop('script', 'sum') + hop('read', 'sum');
      const publishToDeliver = samples.get('khabar_publish_to_deliver_seconds_sum') ?? 0;
      assert.ok(toRead <= publishToDeliver + 0.003, `${toRead} > ${publishToDeliver}`);
      assert.equal(samples.get('khabar_subscriptions'), 2);
      // Buckets are cumulative: each is at least the one before.
      const buckets = [...samples]
        .filter(
          ([name]) =>
            name.startsWith('khabar_job_duration_seconds_bucket') && name.includes('"completed"'),
        )
        .map(([, value]) => value);
      assert.deepEqual(
        buckets,
        [...buckets].sort((a, b) => a - b),
      );
    } finally {
      await khabar.close();
    }
  });

  it('asks for METRICS_TOKEN when one is set', async () => {
    const token = 'metrics-token-0123456789abcdef';
    const khabar = await startKhabar({ env: { METRICS_TOKEN: token }, workers: false });
    try {
      assert.equal((await khabar.request('GET', '/metrics', { token: null })).status, 401);
      assert.equal(
        (await khabar.request('GET', '/metrics', { token: 'wrong-token-0123456789abcd' })).status,
        401,
      );
      await scrape(khabar, token);
    } finally {
      await khabar.close();
    }
  });
});
