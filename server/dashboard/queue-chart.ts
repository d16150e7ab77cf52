import type { QueueStats } from '../../shared/protocol.js';

/**
 * A small line chart of one queue's recent history: jobs waiting (solid) and completed per
 * minute (dashed), as inline SVG drawn from attributes only (no style attributes, for the
 * CSP). The chart is an image with a text alternative that says what it shows.
 */
export interface QueueChart {
  readonly element: SVGSVGElement;
  update(history: readonly QueueSample[]): void;
}

/** One `queue:stats` and when it arrived (local epoch ms). */
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

function svg<K extends keyof SVGElementTagNameMap>(tag: K, className?: string) {
  const node = document.createElementNS(SVG, tag);
  if (className) node.setAttribute('class', className);
  return node;
}

function points(values: readonly number[], max: number, slots: number): string {
  const step = slots > 1 ? WIDTH / (slots - 1) : 0;
  // The newest sample sits at the right edge; a short history starts part-way along.
  const offset = (slots - values.length) * step;
  return values
    .map((value, i) => {
      const x = offset + i * step;
      const y = HEIGHT - FLOOR - (value / max) * (HEIGHT - FLOOR);
      return `${x.toFixed(2)},${y.toFixed(2)}`;
    })
    .join(' ');
}

/** A chart for `queue` that shows at most `slots` samples. */
export function createQueueChart(queue: string, slots: number): QueueChart {
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
      const shown = history.slice(-slots);
      const waits = shown.map((s) => s.stats.waiting);
      const done = shown.map((s) => s.stats.completedPerMinute);
      const max = Math.max(1, ...waits, ...done) * HEADROOM;
      waiting.setAttribute('points', points(waits, max, slots));
      completed.setAttribute('points', points(done, max, slots));
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
