import { createServer } from 'node:http';
import express from 'express';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';
import { benchEvent } from '../payload.js';
import { serveParent } from '../proc.js';

/**
 * B3, the floor of SPEC §7's path: what any service pays to push a post that it first queued
 * durably and handed to a worker, with nothing of Khabar in it (no token, no validation, no
 * store, no replay). One process per role (`node queue-floor.js server|worker <redis> <run>`):
 *
 * - server: an Express `POST /api/articles` that queues the article (BullMQ `add`) and answers
 *   202 once the job is in Redis, and on the same port a raw `ws` server, like B1's, that sends
 *   each event it hears on a Redis pub/sub channel to every client;
 * - worker: a BullMQ worker (concurrency 16, as Khabar's) that turns each job into the bench's
 *   event, accepted at the POST's time, and PUBLISHes it.
 *
 * So a post makes the hops Khabar's makes (HTTP, BullMQ's add, the worker's pick-up, a Redis
 * write the server node hears of, the socket writes) at their cheapest. B1 receives the same
 * event over IPC and writes at once; the difference between B1 and B3 is what the queue costs.
 */

const [role, redisUrl, run] = process.argv.slice(2) as [string, string, string];
const queueName = 'floor';
const prefix = `b3${run.replace(/[^a-z0-9]/gi, '')}`;
const channel = `${prefix}:posts`;

interface FloorJob {
  articles: { title: string }[];
  acceptedAt: number;
}

/** The article number in a bench title, "bench 42". */
const numberOf = (article: { title: string }): number => Number(article.title.slice(6));

async function startServer(): Promise<{ port: number }> {
  const queue = new Queue<FloorJob>(queueName, {
    connection: new Redis(redisUrl, { maxRetriesPerRequest: null }),
    prefix,
    defaultJobOptions: { removeOnComplete: true },
  });
  const app = express();
  app.post('/api/articles', express.json({ limit: '1mb' }), (req, res, next) => {
    const acceptedAt = Date.now();
    const body = req.body as { articles?: { title: string }[]; title: string };
    queue.add('article', { articles: body.articles ?? [body], acceptedAt }).then((job) => {
      res.status(202).json({ accepted: [{ jobId: job.id }], rejected: [] });
    }, next);
  });
  const http = createServer(app);
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const subscriber = new Redis(redisUrl);
  await subscriber.subscribe(channel);
  subscriber.on('messageBuffer', (_channel: Buffer, event: Buffer) => {
    for (const client of wss.clients) client.send(event);
  });
  await new Promise<void>((resolve) =>
    http.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve),
  );
  return { port: (http.address() as { port: number }).port };
}

async function startWorker(): Promise<Record<string, never>> {
  const publisher = new Redis(redisUrl);
  const worker = new Worker<FloorJob>(
    queueName,
    async (job) => {
      const at = new Date(job.data.acceptedAt);
      const pipeline = publisher.pipeline();
      for (const article of job.data.articles)
        pipeline.publish(channel, JSON.stringify(benchEvent(numberOf(article), run, at)));
      await pipeline.exec();
    },
    {
      connection: new Redis(redisUrl, { maxRetriesPerRequest: null }),
      prefix,
      concurrency: 16,
    },
  );
  await worker.waitUntilReady();
  return {};
}

serveParent(
  (message) => {
    throw new Error(`unknown request ${message.type}`);
  },
  role === 'server' ? await startServer() : await startWorker(),
);
