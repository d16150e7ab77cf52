import type { Job, Worker } from 'bullmq';
import type { JobMetricsRecorder } from '../../shared/domain/job-metrics.js';
import { isCanary, type IngestQueueData } from '../../shared/domain/ingest-queue.js';
import type { NewsroomMessage } from '../../shared/domain/newsroom-events.js';
import { attemptDurationMs, isFinalFailure, postIdOf } from './job-logs.js';

export interface JobReportDeps {
  metrics: JobMetricsRecorder;
  /** Tells the dashboards (`ingest:failed`); only for the ingest queue; must not throw or wait. */
  announce?: (messages: readonly NewsroomMessage[]) => void;
}

/**
 * What a worker's jobs tell operators beyond the logs: every finished attempt's duration for
 * `/metrics`, and each failed article for the dashboards, with whether it will be retried.
 * Canaries are left out: they prove consumption and are nobody's article.
 */
export function reportJobs(worker: Worker, { metrics, announce }: JobReportDeps): void {
  const queue = worker.name;
  const counted = (job: Job): boolean => !isCanary(job.data as IngestQueueData);
  worker.on('completed', (job) => {
    if (counted(job)) metrics.observe(queue, 'completed', attemptDurationMs(job));
  });
  worker.on('failed', (job, err) => {
    if (!job || !counted(job)) return;
    const final = isFinalFailure(job, err);
    metrics.observe(queue, 'failed', attemptDurationMs(job), final);
    if (!announce) return;
    const postId = postIdOf(job as Job<IngestQueueData>);
    announce([
      {
        type: 'ingest:failed',
        payload: {
          jobId: job.id ?? '',
          error: err.message,
          attemptsMade: job.attemptsMade,
          final,
          ...(postId === undefined ? {} : { postId }),
        },
      },
    ]);
  });
}
