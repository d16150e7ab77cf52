import type { SourcePolledEvent } from '../../../shared/contract/protocol.js';
import type { SourceView } from '../../../shared/contract/http.js';
import { absoluteTime, el, placeChildren, safeHref, timeElement } from './dom.js';
import type { RelativeLabels } from './relative-labels.js';

/**
 * The feed sources panel: each source's feed, channels, interval, last poll (status, HTTP
 * status, items, error) and next poll, updated live from `source:polled`.
 */
export interface SourcesView {
  reset(sources: readonly SourceView[]): void;
  /** Applies a poll's outcome; false when the source is not listed (it is new: reload). */
  polled(event: SourcePolledEvent, at: string): boolean;
}

export interface SourcesViewDeps {
  list: HTMLElement;
  empty: HTMLElement;
  labels: RelativeLabels;
  locale: string;
}

const STATUS_TEXT = { ok: 'OK', 'not-modified': 'not modified', error: 'error' } as const;

/** What each WebSub state means to an editor. */
const PUSH_TEXT = {
  subscribing: 'push: subscribing',
  active: 'push: active',
  denied: 'push: denied by the hub',
  expired: 'push: lease expired',
  off: 'push: off',
} as const;

let rowIds = 0;

export function createSourcesView({ list, empty, labels, locale }: SourcesViewDeps): SourcesView {
  const rows = new Map<string, { item: HTMLLIElement; source: SourceView }>();

  function fill(item: HTMLLIElement, source: SourceView): void {
    const titleId = `source-title-${++rowIds}`;
    const title = el('h3');
    title.id = titleId;
    const href = safeHref(source.url);
    if (href) {
      const link = el('a', undefined, source.url);
      link.href = href;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      title.append(link);
    } else {
      title.textContent = source.url;
    }

    const setup = el('p', 'meta');
    const chips = el('span', 'chips');
    chips.setAttribute('aria-label', `Channels: ${source.channels.join(', ')}`);
    for (const channel of source.channels) chips.append(el('span', 'chip', channel));
    setup.append(chips, ` · every ${source.intervalSeconds} s`);

    const poll = el('p', 'meta');
    const last = source.lastPoll;
    const badge = el('span', 'badge', last ? STATUS_TEXT[last.status] : 'not polled yet');
    badge.dataset.status = last ? last.status : 'never';
    poll.append(badge);
    if (last) {
      const at = timeElement(Date.parse(last.at));
      poll.append(' · polled ', at);
      labels.track(at, Date.parse(last.at));
      if (last.httpStatus !== undefined) poll.append(` · HTTP ${last.httpStatus}`);
      poll.append(` · ${last.items} items, ${last.added} new, ${last.updated} updated`);
    }
    if (source.consecutiveErrors > 0) {
      const errors = source.consecutiveErrors;
      poll.append(` · ${errors} ${errors === 1 ? 'error' : 'errors'} in a row`);
    }
    const next = Date.parse(source.nextPollAt);
    if (Number.isFinite(next)) {
      const nextTime = timeElement(next);
      nextTime.textContent = absoluteTime(next, locale);
      poll.append(' · next poll ', nextTime);
    }

    const children: Node[] = [title, setup, poll];
    if (last?.error) children.push(el('p', 'source-error', last.error));
    if (source.push) children.push(pushLine(source.push));
    item.replaceChildren(...children);
    item.setAttribute('aria-labelledby', titleId);
  }

  /** The feed's WebSub hub: its state, the lease, the last push, and why it is off. */
  function pushLine(push: NonNullable<SourceView['push']>): HTMLElement {
    const line = el('p', 'meta push');
    const badge = el('span', 'badge', PUSH_TEXT[push.state]);
    badge.dataset.push = push.state;
    line.append(badge, ` · hub ${push.hub}`);
    const lease = push.leaseExpiresAt === undefined ? NaN : Date.parse(push.leaseExpiresAt);
    if (Number.isFinite(lease)) {
      const until = timeElement(lease);
      until.textContent = absoluteTime(lease, locale);
      line.append(' · lease until ', until);
    }
    const pushed = push.lastPushAt === undefined ? NaN : Date.parse(push.lastPushAt);
    if (Number.isFinite(pushed)) {
      const at = timeElement(pushed);
      line.append(' · last push ', at);
      labels.track(at, pushed);
    }
    if (push.error) line.append(` · ${push.error}`);
    return line;
  }

  function render(): void {
    const ordered = [...rows.values()].sort((a, b) =>
      a.source.url < b.source.url ? -1 : a.source.url > b.source.url ? 1 : 0,
    );
    placeChildren(
      list,
      ordered.map((row) => row.item),
    );
    empty.hidden = rows.size > 0;
    labels.refresh();
  }

  return {
    reset(sources) {
      rows.clear();
      for (const source of sources) {
        const item = el('li', 'source');
        item.dataset.sourceId = source.id;
        fill(item, source);
        rows.set(source.id, { item, source });
      }
      render();
    },
    polled(event, at) {
      const row = rows.get(event.sourceId);
      if (!row) return false;
      const lastPoll: NonNullable<SourceView['lastPoll']> = {
        at,
        status: event.status,
        items: event.items,
        added: event.added,
        updated: event.updated,
      };
      if (event.httpStatus !== undefined) lastPoll.httpStatus = event.httpStatus;
      if (event.error !== undefined) lastPoll.error = event.error;
      row.source = {
        ...row.source,
        lastPoll,
        nextPollAt: event.nextPollAt,
        consecutiveErrors: event.status === 'error' ? row.source.consecutiveErrors + 1 : 0,
      };
      fill(row.item, row.source);
      render();
      return true;
    },
  };
}
