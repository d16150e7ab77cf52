import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Server } from 'socket.io';
import type { IngestQueue } from '../shared/ingest-queue.js';
import type { PollQueue } from '../shared/sources.js';

/**
 * Prometheus metrics of one server node (SPEC §5 `/metrics`). Labels stay bounded: event
 * types, queue names and job states, never post ids or channel names.
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
}

export function createServerMetrics(
  io: Server,
  queues: (IngestQueue | PollQueue)[],
): ServerMetrics {
  // One registry per node: tests run several nodes in one process.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'khabar_' });
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
    name: 'khabar_queue_jobs',
    help: 'Jobs in each queue, by state (read from Redis at scrape time).',
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
      help: 'Event copies delivered to sockets.',
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
  };
}
