import { resolveLocale } from '../../../shared/contract/relative-time.js';
import type { FailedJob, QueueHistoryAnswer } from '../../../shared/contract/http.js';
import type {
  IngestFailedEvent,
  NewsroomServerEvents,
  Post,
} from '../../../shared/contract/protocol.js';
import { createActivityView } from './activity-view.js';
import { ApiError, createNewsroomApi, type NewsroomApi } from './api.js';
import { createConfirm } from './confirm-dialog.js';
import { absoluteTime, byId, focusTargetAfter, setText } from './dom.js';
import { createFailuresView, FAILURES_SHOWN } from './failures-view.js';
import { connectNewsroom, UNAUTHORIZED, type NewsroomSocket } from './newsroom-connection.js';
import { createPostStream } from './post-stream.js';
import { createQueueView } from './queue-view.js';
import { createRelativeLabels } from './relative-labels.js';
import { createSourcesView } from './sources-view.js';
import { createStreamView } from './stream-view.js';
import { clearToken, loadToken, saveToken } from './token-store.js';
import { createViewersView } from './viewers-view.js';

/**
 * The newsroom dashboard (`GET /dashboard`): asks for a newsroom token, then shows the live
 * stream of every channel, viewers, queues, failed jobs, feed sources and ingest activity,
 * from one HTTP snapshot (reloaded on every reconnect) plus the `/newsroom` namespace's pushes.
 */

/** Channels whose posts make up the first stream: the most recently active, one request each. */
const SNAPSHOT_CHANNELS = 12;
const POSTS_PER_CHANNEL = 20;
/** Posts kept in the stream. */
const STREAM_LIMIT = 200;
/** A snapshot that failed (server busy, Redis down) is tried again after this. */
const SNAPSHOT_RETRY_MS = 5000;
/** Live failures carry no title: the listing is asked for it once things settle. */
const FAILURE_DETAILS_DELAY_MS = 1000;

const origin = location.origin;
const locale = resolveLocale(
  new URLSearchParams(location.search).get('locale') ?? undefined,
  resolveLocale(navigator.language || undefined, 'en'),
);

const page = {
  connection: byId('connection', HTMLParagraphElement),
  signOut: byId('sign-out', HTMLButtonElement),
  status: byId('status', HTMLParagraphElement),
  signIn: byId('sign-in', HTMLElement),
  form: byId('token-form', HTMLFormElement),
  token: byId('token', HTMLInputElement),
  tokenError: byId('token-error', HTMLParagraphElement),
  dashboard: byId('dashboard', HTMLDivElement),
  streamTitle: byId('stream-title', HTMLHeadingElement),
  failuresTitle: byId('failures-title', HTMLHeadingElement),
};
const submit = page.form.querySelector('button[type="submit"]');

const labels = createRelativeLabels(locale, (at) => absoluteTime(at, locale));
const posts = createPostStream(STREAM_LIMIT);
const confirm = createConfirm();
const stream = createStreamView({
  list: byId('stream', HTMLDivElement),
  empty: byId('stream-empty', HTMLParagraphElement),
  labels,
  onRetract: (post, trigger) => void session?.retract(post, trigger),
});
const queues = createQueueView(
  byId('queues', HTMLDivElement),
  byId('queues-empty', HTMLParagraphElement),
);
const viewers = createViewersView(
  byId('viewers', HTMLElement),
  byId('viewers-empty', HTMLParagraphElement),
  byId('viewers-more', HTMLParagraphElement),
);
const failures = createFailuresView({
  list: byId('failures', HTMLUListElement),
  empty: byId('failures-empty', HTMLParagraphElement),
  heading: page.failuresTitle,
  labels,
  onRetry: (job) => void session?.retry(job),
  onDrop: (job) => void session?.drop(job),
});
const sources = createSourcesView({
  list: byId('sources', HTMLUListElement),
  empty: byId('sources-empty', HTMLParagraphElement),
  labels,
  locale,
});
const activity = createActivityView(
  byId('activity', HTMLOListElement),
  byId('activity-empty', HTMLParagraphElement),
  locale,
);

/** Says something in the polite status region (what the person's action did, the connection). */
function announce(text: string): void {
  page.status.textContent = text;
}

function setConnection(
  state: 'signed-out' | 'connecting' | 'connected' | 'reconnecting',
  text: string,
): void {
  page.connection.dataset.state = state;
  setText(page.connection, text);
}

function errorText(err: unknown): string {
  return err instanceof ApiError ? err.message : 'Something went wrong; see the console.';
}

function renderStream(): void {
  stream.render(posts.list());
}

/** One signed-in session: a token, its API client and its socket. */
interface Session {
  retract(post: Post, trigger: HTMLButtonElement): Promise<void>;
  retry(job: FailedJob): Promise<void>;
  drop(job: FailedJob): Promise<void>;
  close(): void;
}

let session: Session | undefined;

function showSignIn(message?: string): void {
  page.dashboard.hidden = true;
  page.signIn.hidden = false;
  page.signOut.hidden = true;
  if (submit instanceof HTMLButtonElement) submit.disabled = false;
  page.tokenError.hidden = message === undefined;
  page.tokenError.textContent = message ?? '';
  page.token.setAttribute('aria-invalid', message === undefined ? 'false' : 'true');
  setConnection('signed-out', 'Signed out');
  page.token.focus();
  page.token.select();
}

/** Shows the dashboard; true when it replaced the sign-in form. */
function showDashboard(): boolean {
  const fromForm = !page.signIn.hidden;
  page.signIn.hidden = true;
  page.dashboard.hidden = false;
  page.signOut.hidden = false;
  page.tokenError.hidden = true;
  page.token.value = '';
  // The form (and the focus in it) is gone: start keyboard users at the top of the dashboard.
  if (fromForm) page.streamTitle.focus();
  return fromForm;
}

/**
 * Ends the session; `message` says why, on the sign-in form and in the status line (which
 * would otherwise still say what it said last, such as "Checking the token…").
 */
function signOut(message?: string): void {
  session?.close();
  session = undefined;
  clearToken();
  showSignIn(message);
  if (message !== undefined) announce(`Not signed in: ${message}`);
}

function startSession(token: string): Session {
  const api: NewsroomApi = createNewsroomApi(origin, token, locale);
  let closed = false;
  let serverOffsetMs = 0;
  /** Events that arrive while a snapshot loads wait, then apply on top of it, in order. */
  let held: (() => void)[] | undefined = [];
  let loads = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let detailsTimer: ReturnType<typeof setTimeout> | undefined;
  let sourcesTimer: ReturnType<typeof setTimeout> | undefined;

  const serverNow = (): number => Date.now() + serverOffsetMs;

  /** The one place a refused token ends the session, whichever call found out. */
  function refusedBy(err: unknown): boolean {
    if (!(err instanceof ApiError) || !err.unauthorized) return false;
    signOut(`The server refused that token: ${err.message}`);
    return true;
  }

  async function loadStream(): Promise<void> {
    const channels = await api.channels();
    viewers.reset(new Map(channels.map((c) => [c.channel, c.viewers])));
    const active = [...channels]
      .sort((a, b) => Date.parse(b.lastPublishedAt ?? '') - Date.parse(a.lastPublishedAt ?? ''))
      .filter((c) => c.posts > 0)
      .slice(0, SNAPSHOT_CHANNELS);
    const answers = await Promise.all(active.map((c) => api.posts(c.channel, POSTS_PER_CHANNEL)));
    const latest = answers.at(-1);
    if (latest) {
      serverOffsetMs = Date.parse(latest.serverTime) - Date.now();
      labels.setServerOffset(serverOffsetMs);
    }
    posts.reset(answers.flatMap((answer) => answer.posts));
  }

  async function loadSnapshot(): Promise<void> {
    const load = ++loads;
    clearTimeout(retryTimer);
    held ??= [];
    const parts = await Promise.allSettled([
      loadStream(),
      api.sources().then((list) => {
        if (load === loads) sources.reset(list);
      }),
      api.failedJobs(FAILURES_SHOWN).then((answer) => {
        if (load === loads) failures.reset(answer.jobs);
      }),
      api.queueHistory().then((answer) => {
        if (load === loads) showQueueHistory(answer);
      }),
    ]);
    // A newer connection started a newer snapshot: that one applies what was held.
    if (closed || load !== loads) return;
    renderStream();
    stream.setReady();
    const pending = held;
    held = undefined;
    for (const apply of pending) apply();
    const problems = parts
      .filter((part): part is PromiseRejectedResult => part.status === 'rejected')
      .map((part): unknown => part.reason);
    if (problems.some(refusedBy)) return;
    if (problems.length > 0) {
      announce(`Could not load everything: ${errorText(problems[0])} Trying again shortly.`);
      retryTimer = setTimeout(() => {
        if (socket.connected) void loadSnapshot();
      }, SNAPSHOT_RETRY_MS);
    }
  }

  /** Draws the queues' last five minutes at once, on this browser's clock. */
  function showQueueHistory(answer: QueueHistoryAnswer): void {
    const offsetMs = Date.parse(answer.serverTime) - Date.now();
    for (const { queue, samples } of answer.queues) {
      queues.history(
        queue,
        samples.map(({ at, ...figures }) => ({
          at: Date.parse(at) - offsetMs,
          stats: { queue, ...figures },
        })),
      );
    }
  }

  /** Fills in what live failures lack (title, link, source) from the listing. */
  function scheduleFailureDetails(): void {
    clearTimeout(detailsTimer);
    detailsTimer = setTimeout(() => {
      api.failedJobs(FAILURES_SHOWN).then(
        (answer) => {
          if (closed) return;
          for (const job of answer.jobs) {
            const known = failures.get(job.id);
            if (known) failures.upsert({ ...job, error: known.error }, { keepVersion: true });
          }
        },
        (err: unknown) => {
          if (!closed) refusedBy(err);
        },
      );
    }, FAILURE_DETAILS_DELAY_MS);
  }

  function scheduleSourcesReload(): void {
    clearTimeout(sourcesTimer);
    sourcesTimer = setTimeout(() => {
      api.sources().then(
        (list) => {
          if (!closed) sources.reset(list);
        },
        (err: unknown) => {
          if (!closed) refusedBy(err);
        },
      );
    }, FAILURE_DETAILS_DELAY_MS);
  }

  function onFailed(event: IngestFailedEvent): void {
    if (!event.final) {
      activity.add(
        `Job ${event.jobId} failed on attempt ${event.attemptsMade} and will be retried: ${event.error}`,
        'retrying',
      );
      return;
    }
    activity.add(`Job ${event.jobId} failed for good: ${event.error}`, 'failed');
    const post = event.postId === undefined ? undefined : posts.get(event.postId);
    const job: FailedJob = {
      id: event.jobId,
      source: failures.get(event.jobId)?.source ?? '',
      error: event.error,
      attemptsMade: event.attemptsMade,
      failedAt: new Date(serverNow()).toISOString(),
    };
    if (event.postId !== undefined) job.postId = event.postId;
    if (post) {
      job.title = post.title;
      job.url = post.url;
    }
    failures.upsert(job);
    scheduleFailureDetails();
  }

  /** Wraps a push handler: held while a snapshot loads, dropped once the session ends. */
  function live<E extends keyof NewsroomServerEvents>(
    handler: (payload: Parameters<NewsroomServerEvents[E]>[0]) => void,
  ): (payload: Parameters<NewsroomServerEvents[E]>[0]) => void {
    return (payload) => {
      if (closed) return;
      if (held)
        held.push(() => {
          handler(payload);
        });
      else handler(payload);
    };
  }

  setConnection('connecting', 'Connecting…');
  const socket: NewsroomSocket = connectNewsroom(
    origin,
    { token, locale },
    {
      onConnect() {
        if (closed) return;
        const again = page.connection.dataset.state === 'reconnecting';
        setConnection('connected', 'Live');
        saveToken(token);
        if (showDashboard()) announce('Signed in: the dashboard is live.');
        else if (again) announce('Connected again; the dashboard is up to date.');
        void loadSnapshot();
      },
      onRetrying() {
        if (closed) return;
        if (page.connection.dataset.state !== 'reconnecting')
          announce(
            page.connection.dataset.state === 'connected'
              ? 'Lost the connection to the server; reconnecting…'
              : 'Cannot reach the server yet; still trying…',
          );
        setConnection('reconnecting', 'Reconnecting…');
        // Still on the form: let the person try again (another token, or after fixing the server).
        if (submit instanceof HTMLButtonElement) submit.disabled = false;
      },
      onRefused(reason, detail) {
        if (closed) return;
        const why = detail === undefined ? '' : ` ${detail}`;
        signOut(
          reason === UNAUTHORIZED
            ? `That token was not accepted.${why || ' Check it against the server’s NEWSROOM_TOKENS.'}`
            : `The server refused the connection (${reason}).${why}`,
        );
      },
    },
  );

  socket.on(
    'post:new',
    live<'post:new'>((event) => {
      posts.upsert(event.post);
      renderStream();
    }),
  );
  socket.on(
    'post:updated',
    live<'post:updated'>((event) => {
      posts.upsert(event.post);
      renderStream();
    }),
  );
  socket.on(
    'post:removed',
    live<'post:removed'>((event) => {
      posts.removeFromChannel(event.id, event.channel);
      renderStream();
    }),
  );
  socket.on(
    'ingest:accepted',
    live<'ingest:accepted'>((event) => {
      const what = event.title ? `“${event.title}”` : `post ${event.id}`;
      activity.add(`Accepted ${what} from ${event.source} (job ${event.jobId})`, 'accepted');
    }),
  );
  socket.on(
    'ingest:rejected',
    live<'ingest:rejected'>((event) => {
      const details = event.details.map((d) => `${d.path}: ${d.message}`).join('; ');
      activity.add(
        `Rejected an article from ${event.source} (${event.error})${details ? `: ${details}` : ''}`,
        'rejected',
      );
    }),
  );
  socket.on('ingest:failed', live<'ingest:failed'>(onFailed));
  socket.on(
    'source:polled',
    live<'source:polled'>((event) => {
      if (!sources.polled(event, new Date(serverNow()).toISOString())) scheduleSourcesReload();
    }),
  );
  socket.on(
    'presence',
    live<'presence'>((event) => {
      viewers.presence(event.channels);
    }),
  );
  // Queue figures stand alone (no snapshot to agree with): shown as they come.
  socket.on('queue:stats', (event) => {
    if (!closed) queues.update(event, Date.now());
  });

  /** Removes a post from the stream, keeping keyboard focus in the list. */
  function dropPost(id: string): void {
    const article = document.querySelector(`[data-post-id="${CSS.escape(id)}"]`);
    const focus = article ? focusTargetAfter(article, page.streamTitle) : undefined;
    posts.remove(id);
    renderStream();
    focus?.focus();
  }

  /**
   * Retries or drops a failed job. A 404 or 409 means another editor (or the worker) got
   * there first: the job is no longer failed, so its row goes.
   */
  async function onFailedJob(
    job: FailedJob,
    verb: 'retry' | 'drop',
    work: () => Promise<unknown>,
    done: () => void,
  ): Promise<void> {
    failures.setBusy(job.id, true);
    try {
      await work();
      done();
    } catch (err) {
      if (refusedBy(err)) return;
      if (err instanceof ApiError && (err.status === 404 || err.status === 409)) {
        announce(`Job ${job.id}: ${err.message}`);
        failures.remove(job.id);
        return;
      }
      announce(`Could not ${verb} job ${job.id}: ${errorText(err)}`);
    } finally {
      failures.setBusy(job.id, false);
    }
  }

  return {
    async retract(post, trigger) {
      const channels = post.channels.join(', ');
      const yes = await confirm({
        title: 'Retract this post?',
        text: `“${post.title}” will leave every channel (${channels}) and every reader’s widget, and feed polls will not bring it back.`,
        confirmLabel: 'Retract',
      });
      if (!yes || closed) return;
      trigger.disabled = true;
      try {
        await api.retractArticle(post.id);
        announce(`Retracted “${post.title}”.`);
        dropPost(post.id);
      } catch (err) {
        trigger.disabled = false;
        if (refusedBy(err)) return;
        if (err instanceof ApiError && err.status === 404) {
          announce(`“${post.title}” was already gone.`);
          dropPost(post.id);
          return;
        }
        announce(`Could not retract “${post.title}”: ${errorText(err)}`);
      }
    },
    async retry(job) {
      const version = failures.version(job.id);
      await onFailedJob(
        job,
        'retry',
        () => api.retryJob(job.id),
        () => {
          announce(`Job ${job.id} is queued again.`);
          // Unless it failed once more while the answer was on its way, it is no longer failed.
          if (failures.version(job.id) === version) failures.remove(job.id);
        },
      );
    },
    async drop(job) {
      const yes = await confirm({
        title: 'Drop this job?',
        text: `Job ${job.id}${job.title ? ` (“${job.title}”)` : ''} will be deleted and never retried.`,
        confirmLabel: 'Drop',
      });
      if (!yes || closed) return;
      await onFailedJob(
        job,
        'drop',
        () => api.dropJob(job.id),
        () => {
          announce(`Job ${job.id} was dropped.`);
          failures.remove(job.id);
        },
      );
    },
    close() {
      closed = true;
      clearTimeout(retryTimer);
      clearTimeout(detailsTimer);
      clearTimeout(sourcesTimer);
      socket.disconnect();
    },
  };
}

page.form.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = page.token.value.trim();
  if (!token) {
    showSignIn('Enter your newsroom token.');
    return;
  }
  session?.close();
  if (submit instanceof HTMLButtonElement) submit.disabled = true;
  page.tokenError.hidden = true;
  announce('Checking the token…');
  session = startSession(token);
});

page.signOut.addEventListener('click', () => {
  signOut();
  announce('Signed out; the token is forgotten.');
});

const stored = loadToken();
if (stored) {
  page.signIn.hidden = true;
  page.dashboard.hidden = false;
  session = startSession(stored);
} else {
  showSignIn();
}
