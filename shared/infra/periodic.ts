/**
 * Runs `task` every `intervalMs`, one run at a time: while Redis is slow or away, runs are
 * skipped instead of piling up. The timer does not keep the process alive. A failed run is
 * handed to `onError` and the next one happens as usual. Returns a function that stops it.
 */
export function runPeriodically(
  task: () => Promise<unknown>,
  intervalMs: number,
  onError: (err: unknown) => void,
  { immediately = false }: { immediately?: boolean } = {},
): () => void {
  let running = false;
  const run = (): void => {
    if (running) return;
    running = true;
    task()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  };
  if (immediately) run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
