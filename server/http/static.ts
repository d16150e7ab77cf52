import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { Router, type Response } from 'express';
import { appError } from '../../shared/infra/errors.js';

/** `dist/public/`, from this file compiled to `dist/server/http/static.js`. */
export const PUBLIC_DIR = new URL('../../public/', import.meta.url);

/** `server/web/demo/` in the source tree, from `dist/server/http/`: the demo page before it is copied. */
const DEMO_SOURCE_DIR = new URL('../../../server/web/demo/', import.meta.url);

/** The demo page's files, copied by the build from `server/web/demo/` to `dist/public/`. */
const DEMO_FILES = ['index.html', 'demo.js'] as const;

/** `server/web/dashboard/` in the source tree: the dashboard page before the build copies it. */
const DASHBOARD_SOURCE_DIR = new URL('../../../server/web/dashboard/', import.meta.url);

/** The dashboard page's name in `publicDir` (its source is `server/web/dashboard/index.html`). */
const DASHBOARD_PAGE = 'dashboard.html';

/** A Host header as browsers send it: a name or address, and maybe a port. */
const HOST_HEADER = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/**
 * `connect-src` for a page served at `host`: its own origin, over HTTP and over websockets.
 * Browsers that predate CSP 3 do not let 'self' cover ws: and wss:, so the page's own socket
 * origins are named; no other host is ever allowed.
 */
function connectSources(host: string | undefined): string {
  if (host === undefined || !HOST_HEADER.test(host)) return "connect-src 'self'";
  return `connect-src 'self' ws://${host} wss://${host}`;
}

/**
 * The demo page runs only its own scripts; the widget talks to its own server over HTTP and
 * sockets. It is never framed: a page of another origin has no business wrapping it.
 */
export function demoPageCsp(host: string | undefined): string {
  return (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
    `${connectSources(host)}; img-src 'self' https: data:; ` +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
  );
}

/** The part of the demo page that only makes sense outside production (the publish button). */
const PUBLISH_BLOCK = /<!-- demo:publish -->[\s\S]*?<!-- \/demo:publish -->\s*/g;

/**
 * The newsroom dashboard's policy: its own script only, its own `<style>` element only (by
 * hash, so no style attribute in markup applies), sockets to its own server, no images but
 * its own, never framed (it holds a token and has destructive buttons).
 */
export function dashboardPageCsp(html: string, host: string | undefined): string {
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map(
    ([, css]) =>
      `'sha256-${createHash('sha256')
        .update(css ?? '')
        .digest('base64')}'`,
  );
  return (
    "default-src 'none'; script-src 'self'; " +
    `style-src ${["'self'", ...styles].join(' ')}; ` +
    `${connectSources(host)}; img-src 'self' data:; ` +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
  );
}

export interface StaticRouteDeps {
  /** Where the build puts `widget.js`, `dashboard.js` and the pages; a directory URL (ending in `/`). */
  publicDir?: URL;
  /** In production the demo page has no publish button. */
  production: boolean;
}

/** Copies the demo page (`index.html`, `demo.js`) from `server/web/demo/` into `publicDir`; used by the build. */
export async function copyDemoPage(publicDir: URL = PUBLIC_DIR): Promise<void> {
  await mkdir(publicDir, { recursive: true });
  await Promise.all(
    DEMO_FILES.map((name) => copyFile(new URL(name, DEMO_SOURCE_DIR), new URL(name, publicDir))),
  );
}

/** Copies the dashboard page from `server/web/dashboard/index.html` to `publicDir/dashboard.html`. */
export async function copyDashboardPage(publicDir: URL = PUBLIC_DIR): Promise<void> {
  await mkdir(publicDir, { recursive: true });
  await copyFile(new URL('index.html', DASHBOARD_SOURCE_DIR), new URL(DASHBOARD_PAGE, publicDir));
}

function isMissing(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    'code' in err &&
    (err.code === 'ENOENT' || err.code === 'ENOTDIR')
  );
}

/** A file's bytes, or undefined when it does not exist. */
async function readIfPresent(url: URL): Promise<Buffer | undefined> {
  try {
    return await readFile(url);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** A demo page file from `publicDir`, or from the source tree when the build has not copied it. */
async function readDemoFile(publicDir: URL, name: (typeof DEMO_FILES)[number]): Promise<Buffer> {
  const file =
    (await readIfPresent(new URL(name, publicDir))) ??
    (await readIfPresent(new URL(name, DEMO_SOURCE_DIR)));
  if (file === undefined) {
    throw appError('demo_page_missing', { file: name });
  }
  return file;
}

/** The dashboard page from `publicDir`, or from the source tree when the build has not copied it. */
async function readDashboardPage(publicDir: URL): Promise<string> {
  const file =
    (await readIfPresent(new URL(DASHBOARD_PAGE, publicDir))) ??
    (await readIfPresent(new URL('index.html', DASHBOARD_SOURCE_DIR)));
  if (file === undefined) {
    throw appError('dashboard_page_missing');
  }
  return file.toString('utf8');
}

function noSniff(res: Response): void {
  res.set('X-Content-Type-Options', 'nosniff');
}

/**
 * `GET /widget.js` (the embeddable widget, loadable from any site), `GET /` (the demo page, under
 * a strict CSP), `GET /demo.js` (the demo page's script), and `GET /dashboard` and
 * `GET /dashboard.js` (the newsroom dashboard and its bundle).
 */
export function staticRouter({ publicDir = PUBLIC_DIR, production }: StaticRouteDeps): Router {
  const router = Router();

  router.get('/widget.js', async (_req, res) => {
    const bundle = await readIfPresent(new URL('widget.js', publicDir));
    if (bundle === undefined) {
      throw appError('widget_not_built');
    }
    noSniff(res);
    res.set({
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=300',
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
    res.send(bundle);
  });

  router.get('/', async (req, res) => {
    const page = (await readDemoFile(publicDir, 'index.html')).toString('utf8');
    noSniff(res);
    res.set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': demoPageCsp(req.headers.host),
      'Cache-Control': 'no-cache',
      'Referrer-Policy': 'no-referrer',
    });
    res.send(production ? page.replace(PUBLISH_BLOCK, '') : page);
  });

  router.get('/demo.js', async (_req, res) => {
    const script = await readDemoFile(publicDir, 'demo.js');
    noSniff(res);
    res.set({
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'no-cache',
    });
    res.send(script);
  });

  router.get('/dashboard', async (req, res) => {
    const page = await readDashboardPage(publicDir);
    noSniff(res);
    res.set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': dashboardPageCsp(page, req.headers.host),
      'Cache-Control': 'no-cache',
      'Referrer-Policy': 'no-referrer',
    });
    res.send(page);
  });

  router.get('/dashboard.js', async (_req, res) => {
    const bundle = await readIfPresent(new URL('dashboard.js', publicDir));
    if (bundle === undefined) {
      throw appError('dashboard_not_built');
    }
    noSniff(res);
    res.set({
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'no-cache',
      'Referrer-Policy': 'no-referrer',
    });
    res.send(bundle);
  });

  return router;
}
