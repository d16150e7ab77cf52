import type { QueueStats } from '../../../shared/contract/protocol.js';
import { el, formatDuration, placeChildren, setText } from './dom.js';
import {
  CHART_SPAN_MS,
  createQueueChart,
  type QueueChart,
  type QueueSample,
} from './queue-chart.js';

/**
 * The queues panel: for each BullMQ queue, the figures of its latest `queue:stats` and a
 * chart of the last five minutes: what the server kept (`GET /api/queues`, loaded on every
 * connect) followed by what it pushed since.
 */
export interface QueueView {
  /** A live `queue:stats`, arrived at `at` (local epoch ms). */
  update(stats: QueueStats, at: number): void;
  /**
   * The server's recent samples of `queue`, oldest first, times made local. They replace what
   * was drawn up to the newest of them; live samples after it stay.
   */
  history(queue: string, samples: readonly QueueSample[]): void;
}

/** Bounds a chart's memory whatever the push rate (5 s in production, less in tests). */
const MAX_SAMPLES = 400;

/** The queues the contract names come first, in this order; any other follows by name. */
const KNOWN_ORDER = ['ingest', 'poll'];

type Stat = Exclude<keyof QueueStats, 'queue'>;

const FIGURES: readonly { stat: Stat; label: string; format?: (n: number) => string }[] = [
  { stat: 'waiting', label: 'Waiting' },
  { stat: 'active', label: 'Active' },
  { stat: 'delayed', label: 'Delayed' },
  { stat: 'failed', label: 'Failed' },
  { stat: 'completedPerMinute', label: 'Completed / min' },
  { stat: 'oldestWaitingMs', label: 'Oldest waiting', format: formatDuration },
];

interface QueueBlock {
  section: HTMLElement;
  values: Map<Stat, HTMLElement>;
  chart: QueueChart;
  history: QueueSample[];
}

function rank(queue: string): [number, string] {
  const known = KNOWN_ORDER.indexOf(queue);
  return [known === -1 ? KNOWN_ORDER.length : known, queue];
}

export function createQueueView(container: HTMLElement, empty: HTMLElement): QueueView {
  const blocks = new Map<string, QueueBlock>();

  function create(queue: string): QueueBlock {
    const section = el('section', 'queue');
    section.dataset.queue = queue;
    const headingId = `queue-${queue.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const heading = el('h3', undefined, `${queue} queue`);
    heading.id = headingId;
    section.setAttribute('aria-labelledby', headingId);
    const list = el('dl', 'stats');
    const values = new Map<Stat, HTMLElement>();
    for (const { stat, label } of FIGURES) {
      const pair = el('div');
      const value = el('dd', undefined, '–');
      value.dataset.stat = stat;
      pair.append(el('dt', undefined, label), value);
      list.append(pair);
      values.set(stat, value);
    }
    const chart = createQueueChart(queue);
    const legend = el('p', 'legend');
    legend.setAttribute('aria-hidden', 'true');
    legend.append(
      el('span', 'key-waiting', 'waiting'),
      el('span', 'key-completed', 'completed / min'),
    );
    section.append(heading, list, chart.element, legend);
    return { section, values, chart, history: [] };
  }

  function blockOf(queue: string): QueueBlock {
    let block = blocks.get(queue);
    if (!block) {
      block = create(queue);
      blocks.set(queue, block);
      const ordered = [...blocks.entries()].sort(([a], [b]) => {
        const [ra, na] = rank(a);
        const [rb, nb] = rank(b);
        return ra - rb || (na < nb ? -1 : na > nb ? 1 : 0);
      });
      placeChildren(
        container,
        ordered.map(([, { section }]) => section),
      );
      empty.hidden = true;
    }
    return block;
  }

  /** Shows the newest figures and redraws, after trimming what the chart no longer spans. */
  function show(block: QueueBlock): void {
    const newest = block.history.at(-1);
    if (!newest) return;
    const from = newest.at - CHART_SPAN_MS;
    const drop = block.history.findIndex((s) => s.at >= from);
    block.history.splice(0, Math.max(drop, block.history.length - MAX_SAMPLES));
    for (const { stat, format } of FIGURES) {
      const value = newest.stats[stat];
      const node = block.values.get(stat);
      if (node) setText(node, format ? format(value) : String(value));
    }
    block.chart.update(block.history);
  }

  return {
    update(stats, at) {
      const block = blockOf(stats.queue);
      block.history.push({ at, stats });
      show(block);
    },
    history(queue, samples) {
      const last = samples.at(-1);
      if (!last) return;
      const block = blockOf(queue);
      block.history = [...samples, ...block.history.filter((s) => s.at > last.at)];
      show(block);
    },
  };
}
