import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { serveParent } from '../proc.js';

/**
 * The ingest baseline's consumer: a BullMQ worker whose processor does nothing, with
 * Khabar's worker settings (concurrency 16), on the server core. The controller asks how
 * many jobs it has completed, and when the last one finished.
 */
const [redisUrl, queueName, prefix] = process.argv.slice(2) as [string, string, string];
const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
let completed = 0;
let lastAtNs = 0;
const worker = new Worker(queueName, () => Promise.resolve(null), {
  connection,
  prefix,
  concurrency: 16,
});
worker.on('completed', () => {
  completed++;
  lastAtNs = Number(process.hrtime.bigint());
});
await worker.waitUntilReady();
serveParent((message) => {
  if (message.type === 'count') return { completed, lastAtNs };
  throw new Error(`unknown request ${message.type}`);
});
