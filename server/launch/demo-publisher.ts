import type { Logger } from 'pino';
import type { DemoSampleAccepted, ErrorAnswer } from '../../shared/contract/http.js';

export interface PublisherOptions {
  /** The server's origin, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Time between two publishes. */
  intervalMs: number;
  logger: Logger;
  /** How long to wait for `GET /healthz` before giving up (default 60 s). */
  readyTimeoutMs?: number;
}

export interface Publisher {
  /** Stops publishing; resolves once no request is in flight. */
  stop(): Promise<void>;
}

/** What `POST /api/demo/sample` answers: the sample queued, or why not. */
type SampleAnswer = Partial<DemoSampleAccepted & ErrorAnswer>;

/**
 * `npm run demo`'s publisher: once the server answers `GET /healthz`, posts the next sample
 * article to `POST /api/demo/sample` every `intervalMs` (outside production only: that route
 * needs no token), logging each publish.
 */
export function startPublisher({
  baseUrl,
  intervalMs,
  logger,
  readyTimeoutMs = 60_000,
}: PublisherOptions): Publisher {
  const controller = new AbortController();
  const { signal } = controller;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  async function healthy(): Promise<boolean> {
    try {
      const response = await fetch(new URL('/healthz', baseUrl), { signal });
      await response.body?.cancel();
      return response.ok;
    } catch {
      return false;
    }
  }

  /** One publish; false when publishing cannot work here (production: no route). */
  async function publishOnce(): Promise<boolean> {
    let response: Response;
    try {
      response = await fetch(new URL('/api/demo/sample', baseUrl), { method: 'POST', signal });
    } catch (err) {
      if (!signal.aborted) {
        logger.warn(
          { event: 'demo.publish_failed', err },
          'could not reach the server to publish a sample article',
        );
      }
      return true;
    }
    const body = (await response.json().catch(() => ({}))) as SampleAnswer;
    if (response.status === 202) {
      for (const post of body.accepted ?? []) {
        logger.info(
          { event: 'demo.published', postId: post.id, jobId: post.jobId, channels: post.channels },
          `published a sample article: ${post.title}`,
        );
      }
      return true;
    }
    if (response.status === 404) {
      logger.error(
        { event: 'demo.publish_unavailable', status: 404 },
        'the server has no demo publishing route (is NODE_ENV production?); the publisher stops',
      );
      return false;
    }
    logger.warn(
      { event: 'demo.publish_failed', status: response.status },
      `sample article not published: ${body.message ?? `HTTP ${response.status}`}`,
    );
    return true;
  }

  async function run(): Promise<void> {
    const deadline = Date.now() + readyTimeoutMs;
    while (!(await healthy())) {
      if (signal.aborted) return;
      if (Date.now() > deadline) {
        logger.error(
          { event: 'demo.server_not_ready', baseUrl },
          'the server did not answer /healthz; the demo publisher stops',
        );
        return;
      }
      await sleep(250);
    }
    logger.info(
      { event: 'demo.publisher_started', baseUrl, intervalMs },
      `publishing a sample article every ${intervalMs / 1000} s; open ${baseUrl}/`,
    );
    const stopped = (): boolean => signal.aborted;
    while (!stopped()) {
      if (!(await publishOnce()) || stopped()) return;
      await sleep(intervalMs);
    }
  }

  const running = run().catch((err: unknown) => {
    logger.error({ event: 'demo.publisher_error', err }, 'the demo publisher stopped');
  });

  return {
    async stop() {
      controller.abort();
      clearTimeout(timer);
      wake?.();
      await running;
    },
  };
}
