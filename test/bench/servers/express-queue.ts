import express from 'express';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { serveParent } from '../proc.js';

/**
 * The floor of any HTTP ingest API over BullMQ: an Express endpoint that parses the JSON and
 * queues it as is (no token, no validation, no storage), answering 202 with the job id. The
 * ingest scenario runs it with the no-op consumer, both on the server core, to tell the cost
 * of having an HTTP API at all from the cost of what Khabar does with an article.
 */
const [redisUrl, queueName, prefix] = process.argv.slice(2) as [string, string, string];
const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
const queue = new Queue(queueName, {
  connection,
  prefix,
  defaultJobOptions: { removeOnComplete: { age: 3600, count: 10_000 } },
});
const app = express();
app.post('/api/articles', express.json({ limit: '1mb' }), (req, res, next) => {
  queue
    .add('article', { article: req.body as unknown, acceptedAt: Date.now(), source: 'api' })
    .then((job) => {
      res.status(202).json({ accepted: [{ id: job.id, jobId: job.id }], rejected: [] });
    }, next);
});
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const address = server.address();
serveParent(
  (message) => {
    throw new Error(`unknown request ${message.type}`);
  },
  { port: typeof address === 'object' && address ? address.port : 0 },
);
