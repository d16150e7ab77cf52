import type { Queue } from 'bullmq';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type Metric,
} from 'prom-client';
import type { Server } from 'socket.io';
import type { LogEvent } from '../shared/domain/channel-log.js';
import { JOB_DURATION_BUCKETS, type JobMetricsSnapshot } from '../shared/domain/job-metrics.js';

/**
 * Prometheus metrics of one server node (SPEC §5 `/metrics`). Labels stay bounded: event
 * types, namespaces, queue names, job states and outcomes, never post ids or channel names.
 * `khabar_queue_jobs`, `khabar_job_duration_seconds` and `khabar_ingest_failed_total` are
 * cluster-wide (read from Redis at scrape time), so every node serves the same values: take
 * `max` of them across nodes, not `sum`.
 */
export interface ServerMetrics {
  registry: Registry;
  /** Events pushed to rooms, by type. */
  eventsPushed: Counter<'type'>;
  /** Copies delivered to sockets (one per socket per event). */
  deliveries: Counter;
  ingestAccepted: Counter;
  ingestRejected: Counter;
  slowConsumerDrops: Counter;
  /** From the API's (or the poll's) acceptance to this node's push, once per event. */
  publishToDeliver: Histogram;
  /** Times each hop of an event's path to this node's readers; see {@link FANOUT_HOPS}. */
  observeHops: (events: readonly LogEvent[], readAt: number, writtenAt: number) => void;
}

/**
 * The hops of an event's path, each a series of `khabar_fanout_hop_seconds`, so a slow
 * publish-to-deliver can be traced to where it waited:
 *
 * - `queue`: accepted → its writer calls the store script: the job's wait in the queue, a
 *   worker taking it and checking it (a poll's items have almost none);
 * - `script`: the call → Redis appending the event to the fan-out stream (the round trip and
 *   the script, with whatever ran before it on Redis);
 * - `read`: appended → this node's fan-out tail reading it (XREAD's wake-up, and the batch);
 * - `write`: read → written to every socket and stream of this node that watches it.
 *
 * The first three take the times of three clocks (the accepting node's, the writer's and
 * Redis's): across hosts they include the clocks' skew, and a negative hop counts as 0.
 */
export const FANOUT_HOPS = ['queue', 'script', 'read', 'write'] as const;
export type FanoutHop = (typeof FANOUT_HOPS)[number];

export interface ServerMetricsDeps {
  io: Server;
  queues: readonly Queue[];
  /** Channel subscriptions on this node (a socket watching two channels counts two; a stream one). */
  subscriptions: () => number;
  /** Open Server-Sent Events streams on this node. */
  streams: () => number;
  /** The workers' job metrics, from Redis. */
  jobMetrics: () => Promise<JobMetricsSnapshot>;
}

/**
 * A histogram whose counts live elsewhere (Redis): prom-client's Histogram can only observe,
 * so this speaks its scrape-time interface (`name`, `get()`) and registers as a Metric.
 */
function externalHistogram(
  name: string,
  help: string,
  read: () => Promise<JobMetricsSnapshot['durations']>,
): Metric {
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const values: {
        value: number;
        labels: Record<string, string | number>;
        metricName: string;
      }[] = [];
      for (const { queue, outcome, buckets, count, sumSeconds } of await read()) {
        const labels = { queue, outcome };
        let cumulative = 0;
        buckets.forEach((inBucket, i) => {
          cumulative += inBucket;
          const le = JOB_DURATION_BUCKETS[i] ?? '+Inf';
          values.push({
            value: cumulative,
            labels: { ...labels, le },
            metricName: `${name}_bucket`,
          });
        });
        values.push({ value: sumSeconds, labels, metricName: `${name}_sum` });
        values.push({ value: count, labels, metricName: `${name}_count` });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  // The registry asks a metric only for `name` and `get()`; the class types cannot express that.
  return metric as unknown as Metric;
}

export function createServerMetrics({
  io,
  queues,
  subscriptions,
  streams,
  jobMetrics,
}: ServerMetricsDeps): ServerMetrics {
  // One registry per node: tests run several nodes in one process.
  const registry = new Registry();
  // Event-loop delay sampled once a second, not every 10 ms (prom-client's default): each
  // sample wakes an idle process, and on a VM a wake-up costs 65–160 µs of CPU however little
  // it does (measured on a bare process; an idle node with 10k readers was 0.55% of a core at 10
  // samples a second, most of it wake-ups; see BENCHMARKS.md "Idle CPU"). The lag gauges and
  // percentiles stay; a stall shows in them when a sample falls in it, so short ones are caught
  // less often, and a busy loop (what an operator acts on) at every sample. Node reports each
  // sample as the time since the one before, so at rest they read the period, 1 s (README).
  // The scrape-time `nodejs_eventloop_lag_seconds` has no such offset.
  collectDefaultMetrics({
    register: registry,
    prefix: 'khabar_',
    eventLoopMonitoringPrecision: 1000,
  });
  new Gauge({
    name: 'khabar_connections',
    help: 'Open Socket.IO connections on this node, by namespace.',
    labelNames: ['namespace'],
    registers: [registry],
    collect() {
      for (const [name, nsp] of io._nsps) this.set({ namespace: name }, nsp.sockets.size);
    },
  });
  new Gauge({
    name: 'khabar_subscriptions',
    help: 'Channel subscriptions on this node: public sockets and Server-Sent Events streams.',
    registers: [registry],
    collect() {
      this.set(subscriptions());
    },
  });
  new Gauge({
    name: 'khabar_streams',
    help: 'Open Server-Sent Events streams (GET /api/stream) on this node.',
    registers: [registry],
    collect() {
      this.set(streams());
    },
  });
  new Gauge({
    name: 'khabar_queue_jobs',
    help: 'Jobs in each queue, by state (cluster-wide, read from Redis at scrape time).',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const queue of queues) {
        const counts = await queue.getJobCounts(
          'waiting',
          'active',
          'delayed',
          'failed',
          'completed',
        );
        for (const [state, count] of Object.entries(counts))
          this.set({ queue: queue.name, state }, count);
      }
    },
  });

  // One Redis read per scrape serves both job series.
  let reading: Promise<JobMetricsSnapshot> | undefined;
  const readJobs = (): Promise<JobMetricsSnapshot> =>
    (reading ??= jobMetrics().finally(() => {
      reading = undefined;
    }));
  registry.registerMetric(
    externalHistogram(
      'khabar_job_duration_seconds',
      'Time workers spent on each job attempt, by queue and outcome (cluster-wide).',
      async () => (await readJobs()).durations,
    ),
  );
  new Counter({
    name: 'khabar_ingest_failed_total',
    help: 'Failed ingest job attempts; final="true" for those that will not be retried by themselves (cluster-wide).',
    labelNames: ['final'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { queue, final, count } of (await readJobs()).failures)
        // The total is kept in Redis; the counter is set to it at each scrape.
        if (queue === 'ingest') this.inc({ final: String(final) }, count);
    },
  });

  const hops = new Histogram<'hop'>({
    name: 'khabar_fanout_hop_seconds',
    help: 'Each hop of an event from its accept to this node writing it to readers (queue, script, read, write), once per event.',
    labelNames: ['hop'],
    buckets: [
      0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25,
      0.5, 1, 2.5,
    ],
    registers: [registry],
  });
  // Every hop's series from the start, at zero: a dashboard sees them before the first post.
  for (const hop of FANOUT_HOPS) hops.zero({ hop });
  const queueHop = hops.labels('queue');
  const scriptHop = hops.labels('script');
  const readHop = hops.labels('read');
  const writeHop = hops.labels('write');
  const seconds = (from: number, to: number): number => Math.max(0, to - from) / 1000;

  return {
    registry,
    observeHops(events, readAt, writtenAt) {
      for (const { acceptedAt, scriptAt, storedAt } of events) {
        if (acceptedAt !== undefined && scriptAt !== undefined)
          queueHop.observe(seconds(acceptedAt, scriptAt));
        if (scriptAt !== undefined && storedAt !== undefined)
          scriptHop.observe(seconds(scriptAt, storedAt));
        if (storedAt !== undefined) readHop.observe(seconds(storedAt, readAt));
        writeHop.observe(seconds(readAt, writtenAt));
      }
    },
    eventsPushed: new Counter({
      name: 'khabar_events_pushed_total',
      help: 'Events pushed to rooms, by type.',
      labelNames: ['type'],
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'khabar_deliveries_total',
      help: 'Event copies delivered to sockets and streams.',
      registers: [registry],
    }),
    ingestAccepted: new Counter({
      name: 'khabar_ingest_accepted_total',
      help: 'Articles accepted by the API and queued.',
      registers: [registry],
    }),
    ingestRejected: new Counter({
      name: 'khabar_ingest_rejected_total',
      help: 'Articles rejected by the API as invalid.',
      registers: [registry],
    }),
    slowConsumerDrops: new Counter({
      name: 'khabar_slow_consumer_drops_total',
      help: 'Connections dropped for not reading.',
      registers: [registry],
    }),
    publishToDeliver: new Histogram({
      name: 'khabar_publish_to_deliver_seconds',
      help: 'From an article being accepted to this node pushing its event to subscribers, once per event.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
