import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { createChannelLog } from '../shared/channel-log.js';
import type { Config } from '../shared/config.js';
import type { IngestJobData, IngestJobResult } from '../shared/ingest-queue.js';
import { createKeys } from '../shared/keys.js';
import { createRedis, DEFAULT_REDIS_URL } from '../shared/redis.js';
import { createIngestWorker } from './ingest/worker.js';

export interface WorkerNode {
  worker: Worker<IngestJobData, IngestJobResult>;
  /** Starts consuming; rejects if the worker stops for good. */
  run(): Promise<void>;
  /**
   * Lets active jobs finish for up to `graceMs`; what is still running then is released to
   * BullMQ's stalled-job check, which hands it to another worker (the processor is idempotent).
   */
  close(graceMs?: number): Promise<void>;
}

/** Wires a worker process's connections and workers from a validated config; used by main and tests. */
export function createWorkerNode(config: Config, logger: Logger): WorkerNode {
  const url = config.redisUrl ?? DEFAULT_REDIS_URL;
  const keys = createKeys(config.keyPrefix);
  const data = createRedis({ url, role: 'blocking', name: 'khabar:workers:data', logger });
  const connection = createRedis({ url, role: 'blocking', name: 'khabar:workers:queue', logger });
  const worker = createIngestWorker({
    connection,
    keys,
    channelLog: createChannelLog(data, keys, config),
    concurrency: config.workerConcurrency,
    lockMs: config.workerLockMs,
    logger,
  });

  return {
    worker,
    run: () => worker.run(),
    async close(graceMs = 6000) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'timeout'>(
        (resolve) =>
          (timer = setTimeout(() => {
            resolve('timeout');
          }, graceMs)),
      );
      const result = await Promise.race([worker.close(), grace]);
      clearTimeout(timer);
      // Past the grace (or with Redis away) nothing more is waited for: dropping the
      // connections releases the locks, and the stalled-job check re-queues what was active.
      if (result === 'timeout') void worker.close(true);
      data.disconnect();
      connection.disconnect();
    },
  };
}
