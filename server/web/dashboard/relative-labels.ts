import { formatAgo, nextChangeAt } from '../../../shared/contract/relative-time.js';
import { labelClock, type ClockClient } from '../common/label-clock.js';

/**
 * Every "5 mins ago" label on the dashboard (posts, failures, polls), kept true by the page's
 * one label clock: a single timer set for the next moment any label changes its text.
 */
export interface RelativeLabels {
  /** Shows `time` as the age of `at` (epoch ms, the server's clock) from now on. */
  track(time: HTMLTimeElement, at: number): void;
  /** The server's clock minus this browser's, measured from a `serverTime`. */
  setServerOffset(offsetMs: number): void;
  /** Rewrites every label now and sets the clock for the next change; call after a render. */
  refresh(): void;
}

/** Labels in `locale`; `title` shows the absolute time via `describe`. */
export function createRelativeLabels(
  locale: string,
  describe: (at: number) => string,
): RelativeLabels {
  /** `placed` once the label was seen on the page: from then on, off the page means gone. */
  const labels = new Map<HTMLTimeElement, { at: number; placed: boolean }>();
  let offsetMs = 0;

  const client: ClockClient = {
    updateLabels(now) {
      const serverNow = now + offsetMs;
      let next = Infinity;
      for (const [time, entry] of labels) {
        // Rows leave the page by being removed; their labels go with them.
        if (!time.isConnected) {
          if (entry.placed) labels.delete(time);
          continue;
        }
        entry.placed = true;
        const { at } = entry;
        const label = formatAgo(at, serverNow, locale);
        if (time.textContent !== label) time.textContent = label;
        next = Math.min(next, nextChangeAt(at, serverNow) - offsetMs);
      }
      return next;
    },
  };
  labelClock.add(client);

  return {
    track(time, at) {
      if (!Number.isFinite(at)) return;
      time.dateTime = new Date(at).toISOString();
      time.title = describe(at);
      labels.set(time, { at, placed: time.isConnected });
    },
    setServerOffset(value) {
      offsetMs = value;
    },
    refresh() {
      labelClock.refresh();
    },
  };
}
