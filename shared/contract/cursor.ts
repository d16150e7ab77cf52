/** Cursors are `<epoch>-<seq>`: where a client is in one channel's history. */

export interface Cursor {
  epoch: string;
  seq: number;
}

export function formatCursor(epoch: string, seq: number): string {
  return `${epoch}-${seq}`;
}

/** Null for anything malformed: callers treat that as "too old", never as an error. */
export function parseCursor(text: unknown): Cursor | null {
  if (typeof text !== 'string' || text.length > 64) return null;
  const match = /^([0-9a-z]{1,32})-(0|[1-9][0-9]{0,15})$/.exec(text);
  if (!match) return null;
  const seq = Number(match[2]);
  return Number.isSafeInteger(seq) ? { epoch: match[1] as string, seq } : null;
}

/** The epoch of a channel that has had no event yet: its cursor is `0-0`. */
export const EMPTY_EPOCH = '0';

/**
 * Whether `position` lies in the history whose epoch is `epoch`. `0-0`, the position
 * before a channel's first event, lies in every history: the first event opens the epoch.
 */
export function inHistory(position: Cursor, epoch: string): boolean {
  return position.epoch === epoch || (position.epoch === EMPTY_EPOCH && position.seq === 0);
}

/** Whether an event at `next` is the one right after `last`, with nothing missed between. */
export function isNextAfter(last: Cursor, next: Cursor): boolean {
  return next.seq === last.seq + 1 && inHistory(last, next.epoch);
}
