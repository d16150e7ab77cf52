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
}

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
  // Event-loop delay sampled every 100 ms, not prom-client's 10: a timer firing 100 times a
  // second was about half of an idle node's CPU (0.5% of a core of 1.35%, 60 s windows). A stall
  // shorter than 100 ms may now be missed between samples; longer ones, what an operator acts
  // on, are not.
  collectDefaultMetrics({
    register: registry,
    prefix: 'khabar_',
    eventLoopMonitoringPrecision: 100,
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

  return {
    registry,
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
