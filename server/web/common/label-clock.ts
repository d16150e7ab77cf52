/**
 * One clock for every widget on the page: a single timer, set for the earliest moment any
 * displayed label changes its text, instead of one interval per widget or per post.
 */

export interface ClockClient {
  /**
   * Brings the client's labels up to date at `now` (local epoch ms) and returns the local
   * epoch ms at which its next label changes (Infinity when none).
   */
  updateLabels(now: number): number;
}

/** setTimeout's largest delay; anything longer fires at once. */
const MAX_DELAY_MS = 2_147_483_647;

const clients = new Set<ClockClient>();
let timer: ReturnType<typeof setTimeout> | undefined;
let listening = false;

function run(): void {
  clearTimeout(timer);
  timer = undefined;
  const now = Date.now();
  let next = Infinity;
  for (const client of clients) {
    try {
      next = Math.min(next, client.updateLabels(now));
    } catch (err) {
      console.error('khabar widget:', err);
    }
  }
  if (next === Infinity) return;
  // A timer that fires a little early just finds nothing changed and schedules again.
  timer = setTimeout(run, Math.min(MAX_DELAY_MS, Math.max(0, next - Date.now())));
}

function onVisibility(): void {
  if (document.visibilityState === 'visible') run();
}

export const labelClock = {
  add(client: ClockClient): void {
    clients.add(client);
    if (!listening) {
      listening = true;
      document.addEventListener('visibilitychange', onVisibility);
    }
  },
  delete(client: ClockClient): void {
    clients.delete(client);
    if (clients.size === 0) {
      clearTimeout(timer);
      timer = undefined;
    }
  },
  /** Call after any render: updates labels now and reschedules the one timer. */
  refresh: run,
};
