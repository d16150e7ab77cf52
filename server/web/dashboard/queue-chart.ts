import type { QueueStats } from '../../../shared/contract/protocol.js';

/**
 * A small line chart of one queue's recent history: jobs waiting (solid) and completed per
 * minute (dashed), as inline SVG drawn from attributes only (no style attributes, for the
 * CSP). The chart is an image with a text alternative that says what it shows.
 *
 * The x axis is time, not sample count: the history loaded on opening has a point per 5 s
 * where a dashboard was open and per 30 s where only the workers recorded.
 */
export interface QueueChart {
  readonly element: SVGSVGElement;
  update(history: readonly QueueSample[]): void;
}

/** One `queue:stats` and when it was read (local epoch ms). */
export interface QueueSample {
  at: number;
  stats: QueueStats;
}

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 100;
const HEIGHT = 40;
/** Room above the highest point, so a flat line at the maximum stays visible. */
const HEADROOM = 1.15;
/** Room below zero, so a flat line at zero is not hidden by the frame. */
const FLOOR = 2;
/** The time a chart spans, the newest sample at its right edge. */
export const CHART_SPAN_MS = 5 * 60_000;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, className?: string) {
  const node = document.createElementNS(SVG, tag);
  if (className) node.setAttribute('class', className);
  return node;
}

function points(
  samples: readonly QueueSample[],
  value: (stats: QueueStats) => number,
  max: number,
  end: number,
): string {
  return samples
    .map((sample) => {
      // A short history starts part-way along.
      const x = WIDTH - ((end - sample.at) / CHART_SPAN_MS) * WIDTH;
      const y = HEIGHT - FLOOR - (value(sample.stats) / max) * (HEIGHT - FLOOR);
      return `${x.toFixed(2)},${y.toFixed(2)}`;
    })
    .join(' ');
}

/** A chart for `queue` of the last {@link CHART_SPAN_MS} of the history it is given. */
export function createQueueChart(queue: string): QueueChart {
  const element = svg('svg', 'chart');
  element.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  element.setAttribute('preserveAspectRatio', 'none');
  element.setAttribute('role', 'img');
  const title = svg('title');
  const waiting = svg('polyline', 'waiting');
  const completed = svg('polyline', 'completed');
  element.append(title, completed, waiting);

  return {
    element,
    update(history) {
      const end = history.at(-1)?.at ?? 0;
      const shown = history.filter((s) => end - s.at <= CHART_SPAN_MS);
      const waits = shown.map((s) => s.stats.waiting);
      const done = shown.map((s) => s.stats.completedPerMinute);
      const max = Math.max(1, ...waits, ...done) * HEADROOM;
      waiting.setAttribute(
        'points',
        points(shown, (s) => s.waiting, max, end),
      );
      completed.setAttribute(
        'points',
        points(shown, (s) => s.completedPerMinute, max, end),
      );
      const spanMs = (shown.at(-1)?.at ?? 0) - (shown[0]?.at ?? 0);
      const minutes = Math.max(1, Math.round(spanMs / 60_000));
      const label =
        shown.length === 0
          ? `${queue} queue: no history yet`
          : `${queue} queue over the last ${minutes} min: waiting from ${Math.min(...waits)} to ${Math.max(...waits)}, ` +
            `completed per minute from ${Math.min(...done)} to ${Math.max(...done)}`;
      title.textContent = label;
      element.setAttribute('aria-label', label);
    },
  };
}
