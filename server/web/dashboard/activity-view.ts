import { el } from './dom.js';

/**
 * The ingest activity panel: what the pipeline just did (accepted, rejected, failed and
 * retrying), newest first, as plain text lines. Deliberately not a live region: a busy
 * newsroom would drown a screen reader; the status line announces what the person did.
 */
export interface ActivityView {
  add(text: string, kind: 'accepted' | 'rejected' | 'retrying' | 'failed'): void;
}

const KEPT = 50;

export function createActivityView(
  list: HTMLElement,
  empty: HTMLElement,
  locale: string,
): ActivityView {
  const clock = new Intl.DateTimeFormat(locale, { timeStyle: 'medium' });
  return {
    add(text, kind) {
      const item = el('li');
      item.dataset.kind = kind;
      const now = Date.now();
      const time = el('time', undefined, clock.format(now));
      time.dateTime = new Date(now).toISOString();
      item.append(time, text);
      list.prepend(item);
      while (list.children.length > KEPT) list.lastElementChild?.remove();
      empty.hidden = true;
    },
  };
}
