import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { copyPages } from '../http/static.js';

/**
 * Bundles the browser code, socket.io-client included: the embeddable widget
 * (server/web/widget/widget.ts) into `<outDir>/widget.js` and the newsroom dashboard
 * (server/web/dashboard/dashboard.ts) into `<outDir>/dashboard.js`. Compiled by tsc to
 * dist/server/web/build.js, whence it resolves the TypeScript entries; run directly, it
 * writes both to dist/public/, copies the two pages beside them, and fails when the widget is
 * over budget.
 */

/** Budget for the whole widget bundle, gzipped: it loads on every publisher's page. */
export const LIMIT_BYTES = 25 * 1024;

const WIDGET_ENTRY = fileURLToPath(
  new URL('../../../server/web/widget/widget.ts', import.meta.url),
);
const DASHBOARD_ENTRY = fileURLToPath(
  new URL('../../../server/web/dashboard/dashboard.ts', import.meta.url),
);
const DEFAULT_OUT_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

export interface BundleBuild {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface WidgetBuild extends BundleBuild {
  withinLimit: boolean;
}

const kb = (bytes: number): string => (bytes / 1024).toFixed(1);

async function bundle(entry: string, file: string): Promise<BundleBuild> {
  await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    format: 'iife',
    minify: true,
    target: 'es2020',
    platform: 'browser',
    legalComments: 'eof',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  const code = await readFile(file);
  return { file, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

export async function buildWidget(outDir: string = DEFAULT_OUT_DIR): Promise<WidgetBuild> {
  await mkdir(outDir, { recursive: true });
  const result = await bundle(WIDGET_ENTRY, join(outDir, 'widget.js'));
  return { ...result, withinLimit: result.gzipBytes <= LIMIT_BYTES };
}

/** The dashboard has no budget (newsroom staff load it once a shift), only a printed size. */
export async function buildDashboard(outDir: string = DEFAULT_OUT_DIR): Promise<BundleBuild> {
  await mkdir(outDir, { recursive: true });
  return bundle(DASHBOARD_ENTRY, join(outDir, 'dashboard.js'));
}

const invokedPath = process.argv[1];
if (invokedPath && import.meta.url === pathToFileURL(resolve(invokedPath)).href) {
  try {
    const [widget, dashboard] = await Promise.all([buildWidget(), buildDashboard()]);
    // The pages travel with the bundles, so dist/ alone (the Docker image) serves them all.
    await copyPages();
    // Progress goes to stderr: stdout stays for what a command answers (npm run -s tokens).
    console.error(
      `widget.js: ${kb(widget.bytes)} KB, ${kb(widget.gzipBytes)} KB gzipped (limit ${LIMIT_BYTES / 1024} KB)`,
    );
    console.error(
      `dashboard.js: ${kb(dashboard.bytes)} KB, ${kb(dashboard.gzipBytes)} KB gzipped (no limit)`,
    );
    if (!widget.withinLimit) process.exitCode = 1;
  } catch (err) {
    console.error(err);
    process.exitCode = 1;
  }
}
