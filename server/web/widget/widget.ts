import { instances, KhabarFeed, setDefaultServer, TAG } from './element.js';

/**
 * The embeddable bundle: defines `<khabar-feed>` and mounts one after each
 * `<script src=".../widget.js" data-channel="...">` tag.
 */

export const VERSION = '0.1.0';

declare global {
  interface Window {
    KhabarWidget?: { version: string; elements: () => HTMLElement[] };
  }
}

const SELECTOR = 'script[src*="widget.js"][data-channel]';
const MOUNTED = 'khabarMounted';

function originOf(script: HTMLScriptElement): string | null {
  try {
    return new URL(script.src, location.href).origin;
  } catch {
    return null;
  }
}

function mount(script: HTMLScriptElement): void {
  if (script.dataset[MOUNTED]) return;
  script.dataset[MOUNTED] = 'true';
  const feed = document.createElement(TAG);
  const { channel, locale, limit } = script.dataset;
  if (channel) feed.setAttribute('channel', channel);
  if (locale) feed.setAttribute('locale', locale);
  if (limit) feed.setAttribute('limit', limit);
  const origin = originOf(script);
  if (origin) feed.setAttribute('server', origin);
  script.after(feed);
}

function mountAll(): void {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement && current.dataset.channel !== undefined) {
    mount(current);
    return;
  }
  // `async` scripts run without currentScript: mount every tag not mounted yet.
  for (const script of Array.from(document.querySelectorAll<HTMLScriptElement>(SELECTOR)))
    mount(script);
}

const current = document.currentScript;
const self =
  current instanceof HTMLScriptElement
    ? current
    : document.querySelector<HTMLScriptElement>('script[src*="widget.js"]');
const selfOrigin = self ? originOf(self) : null;

// The same bundle may run twice (two embeds): the first definition, and its one connection
// per server, serves every widget on the page.
if (!customElements.get(TAG)) {
  if (selfOrigin) setDefaultServer(selfOrigin);
  customElements.define(TAG, KhabarFeed);
  window.KhabarWidget = { version: VERSION, elements: () => [...instances] };
}
mountAll();
