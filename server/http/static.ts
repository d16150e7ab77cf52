import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { Router, type Response } from 'express';
import { appError, type AppError } from '../../shared/infra/errors.js';

/** `dist/public/`, from this file compiled to `dist/server/http/static.js`. */
export const PUBLIC_DIR = new URL('../../public/', import.meta.url);

/** The repository's root in the source tree, from `dist/server/http/`. */
const SOURCE_ROOT = new URL('../../../', import.meta.url);

/**
 * The hand-written page files: their name in `publicDir` → where they live in the source tree.
 * The build copies them beside the bundles, so `dist/` alone (the Docker image) serves them all.
 */
const PAGE_FILES = {
  'index.html': 'server/web/demo/index.html',
  'demo.js': 'server/web/demo/demo.js',
  'dashboard.html': 'server/web/dashboard/index.html',
  'page.css': 'server/web/common/page.css',
} as const;

type PageFile = keyof typeof PAGE_FILES;

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

/** Copies the page files from the source tree into `publicDir`; used by the build. */
export async function copyPages(publicDir: URL = PUBLIC_DIR): Promise<void> {
  await mkdir(publicDir, { recursive: true });
  await Promise.all(
    Object.entries(PAGE_FILES).map(([name, source]) =>
      copyFile(new URL(source, SOURCE_ROOT), new URL(name, publicDir)),
    ),
  );
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

/** A page file from `publicDir`, or from the source tree when the build has not copied it. */
async function readPageFile(
  publicDir: URL,
  name: PageFile,
  missing: () => AppError,
): Promise<Buffer> {
  const file =
    (await readIfPresent(new URL(name, publicDir))) ??
    (await readIfPresent(new URL(PAGE_FILES[name], SOURCE_ROOT)));
  if (file === undefined) throw missing();
  return file;
}

/** A bundle the build writes (`widget.js`, `dashboard.js`): there is no copy in the source tree. */
async function readBundle(publicDir: URL, name: string, missing: () => AppError): Promise<Buffer> {
  const file = await readIfPresent(new URL(name, publicDir));
  if (file === undefined) throw missing();
  return file;
}

/** Sends `body` with `headers`; nothing Khabar serves may be sniffed into another type. */
function send(res: Response, body: Buffer | string, headers: Record<string, string>): void {
  res.set({ 'X-Content-Type-Options': 'nosniff', ...headers });
  res.send(body);
}

const JS = 'text/javascript; charset=utf-8';
const HTML = 'text/html; charset=utf-8';

/**
 * `GET /widget.js` (the embeddable widget, loadable from any site), `GET /` (the demo page, under
 * a strict CSP), `GET /demo.js` (the demo page's script), and `GET /dashboard` and
 * `GET /dashboard.js` (the newsroom dashboard and its bundle).
 */
export function staticRouter({ publicDir = PUBLIC_DIR, production }: StaticRouteDeps): Router {
  const router = Router();
  const demoFile = (name: PageFile): Promise<Buffer> =>
    readPageFile(publicDir, name, () => appError('demo_page_missing', { file: name }));

  router.get('/widget.js', async (_req, res) => {
    send(res, await readBundle(publicDir, 'widget.js', () => appError('widget_not_built')), {
      'Content-Type': JS,
      'Cache-Control': 'public, max-age=300',
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
  });

  router.get('/', async (req, res) => {
    const page = (await demoFile('index.html')).toString('utf8');
    send(res, production ? page.replace(PUBLISH_BLOCK, '') : page, {
      'Content-Type': HTML,
      'Content-Security-Policy': demoPageCsp(req.headers.host),
      'Cache-Control': 'no-cache',
      'Referrer-Policy': 'no-referrer',
    });
  });

  router.get('/demo.js', async (_req, res) => {
    send(res, await demoFile('demo.js'), { 'Content-Type': JS, 'Cache-Control': 'no-cache' });
  });

  // The base styles both pages share; either page's CSP allows its own origin's sheets.
  router.get('/page.css', async (_req, res) => {
    send(res, await demoFile('page.css'), {
      'Content-Type': 'text/css; charset=utf-8',
      'Cache-Control': 'no-cache',
    });
  });

  router.get('/dashboard', async (req, res) => {
    const missing = (): AppError => appError('dashboard_page_missing');
    const page = (await readPageFile(publicDir, 'dashboard.html', missing)).toString('utf8');
    send(res, page, {
      'Content-Type': HTML,
      'Content-Security-Policy': dashboardPageCsp(page, req.headers.host),
      'Cache-Control': 'no-cache',
      'Referrer-Policy': 'no-referrer',
    });
  });

  router.get('/dashboard.js', async (_req, res) => {
    send(res, await readBundle(publicDir, 'dashboard.js', () => appError('dashboard_not_built')), {
      'Content-Type': JS,
      'Cache-Control': 'no-cache',
      'Referrer-Policy': 'no-referrer',
    });
  });

  return router;
}
