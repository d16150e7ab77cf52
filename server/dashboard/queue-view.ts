import type { QueueStats } from '../../shared/protocol.js';
import { el, formatDuration, placeChildren, setText } from './dom.js';
import { createQueueChart, type QueueChart, type QueueSample } from './queue-chart.js';

/**
 * The queues panel: for each BullMQ queue, the figures of its latest `queue:stats` and a
 * chart of the last few minutes.
 */
export interface QueueView {
  update(stats: QueueStats, at: number): void;
}

/** Five minutes of 5-second samples. */
const HISTORY_SAMPLES = 60;

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
    const chart = createQueueChart(queue, HISTORY_SAMPLES);
    const legend = el('p', 'legend');
    legend.setAttribute('aria-hidden', 'true');
    legend.append(
      el('span', 'key-waiting', 'waiting'),
      el('span', 'key-completed', 'completed / min'),
    );
    section.append(heading, list, chart.element, legend);
    return { section, values, chart, history: [] };
  }

  return {
    update(stats, at) {
      let block = blocks.get(stats.queue);
      if (!block) {
        block = create(stats.queue);
        blocks.set(stats.queue, block);
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
      for (const { stat, format } of FIGURES) {
        const value = stats[stat];
        const node = block.values.get(stat);
        if (node) setText(node, format ? format(value) : String(value));
      }
      block.history.push({ at, stats });
      if (block.history.length > HISTORY_SAMPLES) block.history.shift();
      block.chart.update(block.history);
    },
  };
}
