import { el, placeChildren, setText } from './dom.js';

/**
 * The viewers panel: how many widgets watch each channel, across every server node, busiest
 * first. Channels without viewers stay listed (a newsroom wants to see those too).
 */
export interface ViewersView {
  /** Every known channel and its viewers (from `GET /api/channels`). */
  reset(viewers: ReadonlyMap<string, number>): void;
  /** A `presence` event: a channel it leaves out has no viewers now. */
  presence(channels: Readonly<Record<string, number>>): void;
}

/** Enough for a newsroom's channels; the rest are counted, not listed. */
const MAX_SHOWN = 60;

const viewersText = (n: number): string => `${n} ${n === 1 ? 'viewer' : 'viewers'}`;

export function createViewersView(
  list: HTMLElement,
  empty: HTMLElement,
  more: HTMLElement,
): ViewersView {
  const counts = new Map<string, number>();
  const rows = new Map<string, { row: HTMLElement; value: HTMLElement }>();

  function render(): void {
    const ordered = [...counts.entries()]
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, MAX_SHOWN);
    const shown: HTMLElement[] = [];
    const keep = new Set<string>();
    for (const [channel, viewers] of ordered) {
      keep.add(channel);
      let entry = rows.get(channel);
      if (!entry) {
        const row = el('div');
        row.dataset.channel = channel;
        const value = el('dd', 'count');
        row.append(el('dt', undefined, channel), value);
        entry = { row, value };
        rows.set(channel, entry);
      }
      setText(entry.value, viewersText(viewers));
      shown.push(entry.row);
    }
    for (const channel of rows.keys()) if (!keep.has(channel)) rows.delete(channel);
    placeChildren(list, shown);
    empty.hidden = shown.length > 0;
    const hidden = counts.size - shown.length;
    more.hidden = hidden <= 0;
    setText(more, hidden > 0 ? `and ${hidden} more channels` : '');
  }

  return {
    reset(viewers) {
      counts.clear();
      for (const [channel, n] of viewers) counts.set(channel, n);
      render();
    },
    presence(channels) {
      for (const channel of counts.keys()) counts.set(channel, 0);
      for (const [channel, n] of Object.entries(channels)) counts.set(channel, n);
      render();
    },
  };
}
