/**
 * Small DOM helpers for the dashboard. Data from posts, feeds and jobs only ever goes in
 * through `textContent` or a checked attribute: nothing here parses markup.
 */

export { safeHref, titleLink } from '../common/post-link.js';

/** An element with a class and, optionally, its text. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The element with `id`, of the expected type; throws when the page is not the dashboard's. */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`dashboard: #${id} is missing from the page`);
  return node;
}

/** Sets `textContent` only when it changes, so screen readers and selections are left alone. */
export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

/**
 * Makes `parent`'s children exactly `nodes`, in order, moving only what is out of place: a
 * focused button in a row that stays keeps its focus.
 */
export function placeChildren(parent: Element, nodes: readonly Element[]): void {
  const keep = new Set<Element>(nodes);
  for (const child of Array.from(parent.children)) if (!keep.has(child)) child.remove();
  nodes.forEach((node, i) => {
    const at = parent.children[i];
    if (at !== node) parent.insertBefore(node, at ?? null);
  });
}

/** A button with visible text and, when the text alone is ambiguous, a fuller accessible name. */
export function button(text: string, label: string, className?: string): HTMLButtonElement {
  const node = el('button', className, text);
  node.type = 'button';
  if (label !== text) node.setAttribute('aria-label', label);
  return node;
}

/** A `<time>` for an instant; its text is set by the relative-label clock or by the caller. */
export function timeElement(at: number): HTMLTimeElement {
  const time = el('time');
  time.dateTime = new Date(at).toISOString();
  return time;
}

const absoluteFormats = new Map<string, Intl.DateTimeFormat>();

/** "19 Jun 2024, 10:31" in `locale`, for tooltips and future instants. */
export function absoluteTime(at: number, locale: string): string {
  let format = absoluteFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
    absoluteFormats.set(locale, format);
  }
  return format.format(at);
}

/** A short duration: "0 s", "42 s", "3 min 5 s", "2 h 10 min". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * Where keyboard focus should go when `row` is about to leave `list` while it holds focus:
 * the next row, else the previous one, else `fallback`. Call before removing the row.
 */
export function focusTargetAfter(row: Element, fallback: HTMLElement): HTMLElement | undefined {
  if (!row.contains(document.activeElement)) return undefined;
  const sibling = row.nextElementSibling ?? row.previousElementSibling;
  const target = sibling?.querySelector('button') ?? sibling;
  return target instanceof HTMLElement ? target : fallback;
}
