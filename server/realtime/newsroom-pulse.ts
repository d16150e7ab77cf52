import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { runPeriodically } from '../../shared/infra/periodic.js';
import type { PresenceEvent, QueueStats } from '../../shared/contract/protocol.js';
import { readQueueStats } from '../../shared/domain/queue-stats.js';
import type { RedisHealth } from '../../shared/infra/redis-health.js';
import type { NewsroomDelivery, NewsroomSocket } from './newsroom-namespace.js';

/**
 * The dashboards' heartbeat (SPEC §6): `queue:stats` for each queue and `presence`, every
 * `intervalMs`, read by each server node for its own dashboards. A node that has none reads
 * nothing, so an idle Khabar costs Redis no commands for it. A dashboard that connects gets
 * the latest values at once instead of waiting for the next beat.
 */
export interface NewsroomPulse {
  start: () => void;
  stop: () => void;
  /** Sends the latest values to a dashboard that just connected (reading them if need be). */
  greet: (socket: NewsroomSocket) => void;
}

export interface NewsroomPulseDeps {
  newsroom: Pick<NewsroomDelivery, 'send' | 'watched'>;
  queues: readonly Queue[];
  /** Viewers per channel over every node. */
  viewers: () => Promise<Map<string, number>>;
  /** Keeps what was read, read at `at`, for dashboards that open later (on any node). */
  record?: (stats: readonly QueueStats[], at: number) => Promise<void>;
  logger: Logger;
  health: RedisHealth;
  intervalMs?: number;
  now?: () => number;
}

interface Beat {
  at: number;
  stats: QueueStats[];
  presence: PresenceEvent;
}

export function createNewsroomPulse({
  newsroom,
  queues,
  viewers,
  record,
  logger,
  health,
  intervalMs = 5000,
  now = Date.now,
}: NewsroomPulseDeps): NewsroomPulse {
  let latest: Beat | undefined;
  let reading: Promise<Beat> | undefined;
  let stopBeating: (() => void) | undefined;

  /** One read at a time: dashboards arriving together share it. */
  function read(): Promise<Beat> {
    reading ??= (async () => {
      const [stats, counts] = await Promise.all([
        Promise.all(queues.map((queue) => readQueueStats(queue, now()))),
        viewers(),
      ]);
      latest = { at: now(), stats, presence: { channels: Object.fromEntries(counts) } };
      // Not waited for: the dashboards have their figures whether or not Redis keeps them.
      record?.(stats, latest.at).catch((err: unknown) => {
        logger.debug({ event: 'queue.history_failed', err }, 'could not record queue stats');
      });
      return latest;
    })().finally(() => {
      reading = undefined;
    });
    return reading;
  }

  function send(beat: Beat, to?: NewsroomSocket): void {
    for (const stats of beat.stats) newsroom.send('queue:stats', stats, to);
    newsroom.send('presence', beat.presence, to);
  }

  const failed = health.absorbOr('newsroom-pulse', (err) => {
    logger.debug({ event: 'newsroom.pulse_failed', err }, 'could not read queue stats or presence');
  });

  return {
    start() {
      stopBeating ??= runPeriodically(
        async () => {
          if (newsroom.watched()) send(await read());
        },
        intervalMs,
        failed,
      );
    },
    stop() {
      stopBeating?.();
      stopBeating = undefined;
    },
    greet(socket) {
      if (latest && now() - latest.at < intervalMs) {
        send(latest, socket);
        return;
      }
      read().then((beat) => {
        if (socket.connected) send(beat, socket);
      }, failed);
    },
  };
}
