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
