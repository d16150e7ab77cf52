import assert from 'node:assert/strict';
import { createIngestQueue } from '../../shared/domain/ingest-queue.js';
import { createLogger } from '../../shared/infra/logger.js';
import { readQueueStats } from '../../shared/domain/queue-stats.js';
import { logQueueStats } from '../../workers/monitor/queue-stats.js';
import { createRedisHealth } from '../../shared/infra/redis-health.js';
import { QUEUE_FIGURES } from '../../shared/domain/queue-history.js';
import { createWorkerNode } from '../../workers/node.js';
import { captureLogs, eventually, startKhabar, type LogLine } from '../helpers/khabar.js';

describe('queue stats', function () {
  this.timeout(20_000);

  it('reports waiting jobs and the age of the oldest, then none once workers took them', async () => {
    const khabar = await startKhabar({ workers: false });
    const queue = createIngestQueue(khabar.redis, khabar.keys);
    try {
      const articles = [1, 2, 3].map((i) => ({
        url: `https://example.com/q/${i}`,
        title: `Q${i}`,
      }));
      // Three requests, three jobs (a batch would be one).
      for (const article of articles) {
        assert.equal((await khabar.postArticles(article)).status, 202);
      }
      // Read as if 50 ms later: the clock is a parameter, so no sleep.
      const backlog = await readQueueStats(queue, Date.now() + 50);
      assert.equal(backlog.queue, 'ingest');
      assert.equal(backlog.waiting, 3);
      assert.equal(backlog.active, 0);
      assert.ok(backlog.oldestWaitingMs >= 50, String(backlog.oldestWaitingMs));

      const lines: LogLine[] = [];
      const destination = captureLogs(lines);
      const logger = createLogger({ level: 'info', role: 'test', destination });
      const stop = logQueueStats({
        queues: [queue],
        logger,
        health: createRedisHealth({ logger }),
        intervalMs: 100,
        oldestWaitingWarnMs: 10,
      });
      const line = await eventually(() => lines.find((l) => l.event === 'queue.stats'));
      stop();
      assert.equal(line.level, 40); // a warning: jobs have waited past the threshold
      for (const field of ['queue', ...QUEUE_FIGURES]) {
        assert.ok(field in line, field);
      }

      const workers = createWorkerNode(
        khabar.config,
        createLogger({ level: 'silent', role: 'test' }),
      );
      workers.run();
      try {
        const drained = await eventually(async () => {
          const stats = await readQueueStats(queue);
          return stats.waiting === 0 && stats.active === 0 ? stats : undefined;
        });
        assert.equal(drained.oldestWaitingMs, 0);
      } finally {
        await workers.close(1000);
      }
    } finally {
      await queue.close();
      await khabar.close();
    }
  });
});
