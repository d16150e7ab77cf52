import { formatAgo, nextChangeAt, resolveLocale } from '../../../shared/contract/relative-time.js';
import type { Post } from '../../../shared/contract/protocol.js';
import { connect, type Connection } from './connection.js';
import { textsFor, type Texts } from './i18n.js';
import { labelClock, type ClockClient } from '../common/label-clock.js';
import { createPostView, fillPostView, samePost, type PostView } from './render.js';
import { loadFeed, seedFeed } from './storage.js';
import { readFragment } from './adopt.js';
import { adoptStyles } from './styles.js';

export const TAG = 'khabar-feed';

/** Every connected `<khabar-feed>`, for `window.KhabarWidget.elements()`. */
export const instances = new Set<KhabarFeed>();

/** How long a "N new posts" announcement stays in the status region. */
const ANNOUNCE_MS = 5000;

function parseLimit(value: string | null): number {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isFinite(n) ? Math.min(50, Math.max(1, n)) : 10;
}

function parseServer(value: string | null, fallback: string): string | null {
  try {
    const url = new URL(value || fallback, location.href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

/** The origin the bundle was loaded from: the default server. */
let defaultServer = location.origin;

export function setDefaultServer(origin: string): void {
  defaultServer = origin;
}

interface Session {
  channel: string;
  limit: number;
  connection: Connection;
  stop: () => void;
}

/**
 * `<khabar-feed channel="bihar" locale="hi" limit="10" server="https://HOST">`: a live
 * "Recent Posts" list in an open shadow root.
 */
export class KhabarFeed extends HTMLElement implements ClockClient {
  static readonly observedAttributes = ['channel', 'locale', 'limit', 'server'];

  readonly #root: HTMLDivElement;
  readonly #list: HTMLElement;
  readonly #pill: HTMLButtonElement;
  readonly #status: HTMLDivElement;
  readonly #note: HTMLParagraphElement;
  readonly #views = new Map<string, PostView>();
  /** New posts held back behind the pill while the reader is busy with the list. */
  readonly #pending = new Set<string>();
  #latest: Post[] = [];
  #locale = 'en';
  #texts: Texts = textsFor('en');
  #session: Session | undefined;
  #ready = false;
  /** Whether the list has shown an answer: later additions are live arrivals. */
  #live = false;
  #announceTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the page-scroll listener is on: only while posts wait behind the pill. */
  #watchingScroll = false;
  readonly #onPageScroll = (): void => {
    this.#releaseIfIdle();
  };

  constructor() {
    super();
    const shadow = this.attachShadow({ mode: 'open' });
    adoptStyles(shadow);
    const make = <K extends keyof HTMLElementTagNameMap>(tag: K, part: string) => {
      const node = document.createElement(tag);
      node.className = part;
      node.setAttribute('part', part);
      return node;
    };
    this.#root = make('div', 'root');
    this.#root.removeAttribute('part');
    this.#status = make('div', 'status');
    this.#status.setAttribute('role', 'status');
    this.#status.setAttribute('aria-live', 'polite');
    this.#pill = make('button', 'pill');
    this.#pill.type = 'button';
    this.#pill.hidden = true;
    this.#pill.addEventListener('click', () => {
      this.#showPending(this.#pill.matches(':focus'));
    });
    this.#list = make('section', 'list');
    this.#list.setAttribute('role', 'feed');
    this.#list.setAttribute('aria-busy', 'true');
    this.#note = make('p', 'note');
    this.#note.removeAttribute('part');
    this.#root.append(this.#status, this.#pill, this.#list, this.#note);
    shadow.append(this.#root);

    // Held posts wait only while the reader is busy with the list (README): each way of
    // stopping lets them in. At these events the browser may still count the pointer or the
    // focus as inside, so the one that ended is left out of the check.
    this.addEventListener('pointerleave', () => {
      this.#releaseIfIdle({ pointerLeft: true });
    });
    this.#root.addEventListener('focusout', (event) => {
      const next = event.relatedTarget;
      if (next instanceof Node && shadow.contains(next)) return;
      this.#releaseIfIdle({ focusLeft: true });
    });
    this.#list.addEventListener(
      'scroll',
      () => {
        this.#releaseIfIdle();
      },
      { passive: true },
    );
  }

  connectedCallback(): void {
    instances.add(this);
    this.#start();
  }

  disconnectedCallback(): void {
    instances.delete(this);
    this.#stop();
  }

  attributeChangedCallback(_name: string, oldValue: string | null, value: string | null): void {
    if (oldValue === value || !this.isConnected) return;
    this.#stop();
    this.#start();
  }

  #start(): void {
    this.#locale = resolveLocale(
      this.getAttribute('locale') ?? undefined,
      resolveLocale(document.documentElement.lang || undefined, 'en'),
    );
    this.#texts = textsFor(this.#locale);
    this.#root.lang = this.#locale;
    this.#list.setAttribute(
      'aria-label',
      this.getAttribute('aria-label') ?? this.#texts.recentPosts,
    );
    const channel = this.getAttribute('channel')?.trim() ?? '';
    const server = parseServer(this.getAttribute('server'), defaultServer);
    if (!channel || !server) {
      this.dataset.state = 'error';
      console.error(`khabar widget: <${TAG}> needs a channel and an http(s) server`);
      return;
    }
    const limit = parseLimit(this.getAttribute('limit'));
    this.dataset.state = 'loading';
    this.#ready = false;
    this.#live = false;
    this.#list.setAttribute('aria-busy', 'true');

    // Render at once what the page holds (a server-rendered list) or what this tab saw before a
    // reload, whichever is later; the answer then brings it up to date, keyed by post id.
    const fragment = readFragment(this, channel);
    if (fragment) seedFeed(server, channel, fragment);
    const stored = loadFeed(server, channel);
    this.#latest = stored ? stored.posts.slice(0, limit) : [];
    this.#render();

    const connection = connect(server);
    const unwatch = connection.client.watch(
      channel,
      (posts) => {
        this.#latest = posts.slice(0, limit);
        if (!this.#ready) {
          this.#ready = true;
          this.#list.setAttribute('aria-busy', 'false');
          this.dataset.state = 'ready';
        }
        this.#render();
        connection.persist(channel);
      },
      { limit },
    );
    const unstatus = connection.onStatus((reconnecting) => {
      this.#setReconnecting(reconnecting);
    });
    this.#setReconnecting(connection.reconnecting);
    labelClock.add(this);
    this.#session = {
      channel,
      limit,
      connection,
      stop: () => {
        unwatch();
        unstatus();
        connection.release();
      },
    };
  }

  #stop(): void {
    labelClock.delete(this);
    this.#session?.stop();
    this.#session = undefined;
    clearTimeout(this.#announceTimer);
    this.#views.clear();
    this.#pending.clear();
    this.#latest = [];
    this.#list.replaceChildren();
    this.#updatePill();
    this.#setReconnecting(false);
  }

  /**
   * Whether the reader is busy with the list, so new posts must not move it. `pointerLeft` /
   * `focusLeft`: that one has just ended, whatever `:hover` / `:focus-within` still say.
   */
  #readerBusy({ pointerLeft = false, focusLeft = false } = {}): boolean {
    return (
      this.#list.scrollTop > 0 ||
      // The page is scrolled past the widget's top: inserting would shove what is being read.
      this.getBoundingClientRect().top < 0 ||
      (!pointerLeft && this.matches(':hover')) ||
      (!focusLeft && this.matches(':focus-within'))
    );
  }

  /** Lets the held posts in once the reader is no longer busy with the list. */
  #releaseIfIdle(ended: { pointerLeft?: boolean; focusLeft?: boolean } = {}): void {
    if (this.#pending.size > 0 && !this.#readerBusy(ended)) this.#showPending(false);
  }

  #render(): void {
    const posts = this.#latest;
    const ids = new Set(posts.map((p) => p.id));
    for (const id of this.#pending) if (!ids.has(id)) this.#pending.delete(id);

    // Posts above the newest one shown are new arrivals; others (an update that moved a post
    // back into the list) just take their place.
    const firstKnown = posts.findIndex((p) => this.#views.has(p.id));
    const arrivals =
      this.#live || this.#views.size > 0
        ? posts.filter((p, i) => !this.#views.has(p.id) && (firstKnown === -1 || i < firstKnown))
        : [];
    const fresh = new Set<string>();
    if (this.#pending.size + arrivals.length > 0 && this.#readerBusy()) {
      for (const p of arrivals) this.#pending.add(p.id);
    } else {
      // Not busy (any more): what was held comes in with the arrivals.
      for (const id of this.#pending) fresh.add(id);
      this.#pending.clear();
      for (const p of arrivals) fresh.add(p.id);
    }
    this.#live = this.#ready;
    this.#apply(
      posts.filter((p) => !this.#pending.has(p.id)),
      fresh,
    );
    this.#updatePill();
    if (fresh.size > 0) this.#announce(this.#texts.newPosts(fresh.size));
    else if (this.#pending.size > 0 && arrivals.length > 0)
      this.#announce(this.#texts.newPosts(this.#pending.size));
  }

  /** Makes the list show exactly `shown`, in order, touching only what changed. */
  #apply(shown: Post[], fresh: ReadonlySet<string>): void {
    const keep = new Set(shown.map((p) => p.id));
    for (const [id, view] of this.#views) {
      if (keep.has(id)) continue;
      view.article.remove();
      this.#views.delete(id);
    }
    const list = this.#list;
    shown.forEach((post, i) => {
      let view = this.#views.get(post.id);
      if (!view) {
        view = createPostView(post, this.#locale);
        this.#views.set(post.id, view);
        if (fresh.has(post.id)) {
          view.article.classList.add('enter');
          view.article.addEventListener(
            'animationend',
            (e) => {
              (e.currentTarget as HTMLElement).classList.remove('enter');
            },
            { once: true },
          );
        }
      } else if (view.post !== post && !samePost(view.post, post)) {
        fillPostView(view, post, this.#locale);
        view.time.textContent = '';
      } else {
        view.post = post;
      }
      const at = list.children[i];
      if (at !== view.article) list.insertBefore(view.article, at ?? null);
      const pos = String(i + 1);
      if (view.article.getAttribute('aria-posinset') !== pos)
        view.article.setAttribute('aria-posinset', pos);
    });
    const size = String(shown.length);
    for (const view of this.#views.values())
      if (view.article.getAttribute('aria-setsize') !== size)
        view.article.setAttribute('aria-setsize', size);

    this.#note.textContent =
      shown.length > 0 ? '' : this.#ready ? this.#texts.empty : this.#texts.loading;
    this.#note.hidden = shown.length > 0;
    labelClock.refresh();
  }

  #updatePill(): void {
    const count = this.#pending.size;
    this.#pill.hidden = count === 0;
    if (count > 0) this.#pill.textContent = this.#texts.newPosts(count);
    // Scrolling back up to the widget is the one way of stopping that the widget itself does
    // not see; the page's scrolls are watched only while something waits for it.
    const watch = count > 0 && this.isConnected;
    if (watch === this.#watchingScroll) return;
    this.#watchingScroll = watch;
    const options = { capture: true, passive: true } as const;
    if (watch) document.addEventListener('scroll', this.#onPageScroll, options);
    else document.removeEventListener('scroll', this.#onPageScroll, options);
  }

  /** Shows the held posts; `keepFocus`: the pill had it, so it moves to the newest post. */
  #showPending(keepFocus: boolean): void {
    const fresh = new Set(this.#pending);
    this.#pending.clear();
    this.#apply(this.#latest, fresh);
    this.#updatePill();
    this.#list.scrollTop = 0;
    // The pill is gone: keep keyboard users in the list, at the newest post.
    const first = this.#list.firstElementChild;
    if (keepFocus && first instanceof HTMLElement) first.focus({ preventScroll: true });
  }

  #announce(text: string): void {
    if (this.#status.classList.contains('show')) return; // "reconnecting" stays visible
    clearTimeout(this.#announceTimer);
    this.#status.textContent = text;
    this.#announceTimer = setTimeout(() => {
      if (!this.#status.classList.contains('show')) this.#status.textContent = '';
    }, ANNOUNCE_MS);
  }

  #setReconnecting(reconnecting: boolean): void {
    const showing = this.#status.classList.contains('show');
    this.dataset.connection = reconnecting ? 'reconnecting' : 'connected';
    if (showing === reconnecting) return;
    clearTimeout(this.#announceTimer);
    this.#status.classList.toggle('show', reconnecting);
    this.#status.textContent = reconnecting ? this.#texts.reconnecting : '';
  }

  /** ClockClient: rewrites only the labels whose text changed; returns the next change. */
  updateLabels(now: number): number {
    const session = this.#session;
    const offset = session
      ? (session.connection.client.view(session.channel)?.serverTimeOffsetMs ?? 0)
      : 0;
    const serverNow = now + offset;
    let next = Infinity;
    for (const view of this.#views.values()) {
      if (!Number.isFinite(view.at)) continue;
      const label = formatAgo(view.at, serverNow, this.#locale);
      if (view.time.textContent !== label) view.time.textContent = label;
      next = Math.min(next, nextChangeAt(view.at, serverNow) - offset);
    }
    return next;
  }
}
