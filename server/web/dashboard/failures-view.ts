import type { FailedJob } from '../../../shared/contract/http.js';
import { button, el, focusTargetAfter, placeChildren, safeHref, timeElement } from './dom.js';
import type { RelativeLabels } from './relative-labels.js';

/**
 * The failed-jobs panel: the latest ingest jobs that failed for good, newest first, each
 * with its error and "retry" and "drop" buttons.
 */
export interface FailuresView {
  /** Replaces the list (`GET /api/jobs?state=failed`). */
  reset(jobs: readonly FailedJob[]): void;
  /**
   * A job failed (again); with `keepVersion`, only more details of a failure already shown
   * (which does not count as failing again).
   */
  upsert(job: FailedJob, options?: { keepVersion?: boolean }): void;
  remove(id: string): void;
  get(id: string): FailedJob | undefined;
  /**
   * Counts the times a job was (re)added: a retry whose answer comes back after the job has
   * failed once more must not remove the new failure.
   */
  version(id: string): number;
  /** Disables a job's buttons while a request about it is on its way. */
  setBusy(id: string, busy: boolean): void;
}

export interface FailuresViewDeps {
  list: HTMLElement;
  empty: HTMLElement;
  /** Where focus goes when the last row leaves while focused. */
  heading: HTMLElement;
  labels: RelativeLabels;
  onRetry: (job: FailedJob) => void;
  onDrop: (job: FailedJob) => void;
}

/** What `GET /api/jobs` returns at most, and what the panel keeps. */
export const FAILURES_SHOWN = 50;

interface Row {
  item: HTMLLIElement;
  job: FailedJob;
  buttons: HTMLButtonElement[];
}

let rowIds = 0;

function describe(job: FailedJob): string {
  return job.title ? `job ${job.id} (“${job.title}”)` : `job ${job.id}`;
}

export function createFailuresView(deps: FailuresViewDeps): FailuresView {
  const { list, empty, heading, labels } = deps;
  const rows = new Map<string, Row>();
  const versions = new Map<string, number>();

  function fill(row: Row): void {
    const { job, item } = row;
    const titleId = `failure-title-${++rowIds}`;
    const title = el('h3');
    title.id = titleId;
    const href = job.url ? safeHref(job.url) : null;
    const text = job.title ?? `Job ${job.id}`;
    if (href) {
      const link = el('a', undefined, text);
      link.href = href;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      link.dir = 'auto';
      title.append(link);
    } else {
      title.textContent = text;
      title.dir = 'auto';
    }
    const meta = el('p', 'meta');
    const failedAt = timeElement(Date.parse(job.failedAt));
    meta.append(
      `job ${job.id}`,
      job.articles ? ` · the first of a batch of ${job.articles}` : '',
      job.source ? ` · from ${job.source}` : '',
      ` · ${job.attemptsMade} ${job.attemptsMade === 1 ? 'attempt' : 'attempts'} · failed `,
      failedAt,
    );
    const error = el('p', 'job-error', job.error);
    const retry = button('Retry', `Retry ${describe(job)}`);
    retry.dataset.action = 'retry';
    retry.addEventListener('click', () => {
      deps.onRetry(row.job);
    });
    const drop = button('Drop', `Drop ${describe(job)}`, 'secondary');
    drop.dataset.action = 'drop';
    drop.addEventListener('click', () => {
      deps.onDrop(row.job);
    });
    const actions = el('div', 'actions');
    actions.append(retry, drop);
    item.replaceChildren(title, meta, error, actions);
    item.setAttribute('aria-labelledby', titleId);
    row.buttons = [retry, drop];
    labels.track(failedAt, Date.parse(job.failedAt));
  }

  function render(): void {
    const ordered = [...rows.values()].sort(
      (a, b) => Date.parse(b.job.failedAt) - Date.parse(a.job.failedAt),
    );
    for (const row of ordered.slice(FAILURES_SHOWN)) rows.delete(row.job.id);
    placeChildren(
      list,
      ordered.slice(0, FAILURES_SHOWN).map((row) => row.item),
    );
    empty.hidden = rows.size > 0;
    labels.refresh();
  }

  function upsert(job: FailedJob, keepVersion = false): void {
    if (!keepVersion) versions.set(job.id, (versions.get(job.id) ?? 0) + 1);
    const known = rows.get(job.id);
    // A live failure knows less than the listing: keep what the listing said.
    const merged: FailedJob = known ? { ...known.job, ...job } : job;
    const row: Row = known ?? {
      item: el('li', 'failure'),
      job: merged,
      buttons: [],
    };
    row.job = merged;
    row.item.dataset.jobId = job.id;
    rows.set(job.id, row);
    fill(row);
  }

  return {
    reset(jobs) {
      rows.clear();
      for (const job of jobs) upsert(job);
      render();
    },
    upsert(job, options = {}) {
      upsert(job, options.keepVersion);
      render();
    },
    remove(id) {
      const row = rows.get(id);
      if (!row) return;
      const focus = focusTargetAfter(row.item, heading);
      rows.delete(id);
      render();
      focus?.focus();
    },
    get(id) {
      return rows.get(id)?.job;
    },
    version(id) {
      return versions.get(id) ?? 0;
    },
    setBusy(id, busy) {
      const row = rows.get(id);
      if (!row) return;
      for (const node of row.buttons) node.disabled = busy;
      if (busy) row.item.setAttribute('aria-busy', 'true');
      else row.item.removeAttribute('aria-busy');
    },
  };
}
