import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { copyDemoPage } from '../http/static.js';

/**
 * Bundles the embeddable widget (server/widget/widget.ts, socket.io-client included) into
 * `<outDir>/widget.js`. Compiled by tsc to dist/server/widget/build.js, whence it resolves the
 * TypeScript entry; run directly, it writes dist/public/widget.js and fails over budget.
 */

/** Budget for the whole bundle, gzipped. */
export const LIMIT_BYTES = 25 * 1024;

const ENTRY = fileURLToPath(new URL('../../../server/widget/widget.ts', import.meta.url));
const DEFAULT_OUT_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

export interface WidgetBuild {
  file: string;
  bytes: number;
  gzipBytes: number;
  withinLimit: boolean;
}

const kb = (bytes: number): string => (bytes / 1024).toFixed(1);

export async function buildWidget(outDir: string = DEFAULT_OUT_DIR): Promise<WidgetBuild> {
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, 'widget.js');
  await build({
    entryPoints: [ENTRY],
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
  const gzipBytes = gzipSync(code, { level: 9 }).length;
  return { file, bytes: code.length, gzipBytes, withinLimit: gzipBytes <= LIMIT_BYTES };
}

const invokedPath = process.argv[1];
if (invokedPath && import.meta.url === pathToFileURL(resolve(invokedPath)).href) {
  try {
    const result = await buildWidget();
    // The demo page travels with the bundle, so dist/ alone (the Docker image) serves both.
    await copyDemoPage();
    console.log(
      `widget.js: ${kb(result.bytes)} KB, ${kb(result.gzipBytes)} KB gzipped (limit ${LIMIT_BYTES / 1024} KB)`,
    );
    if (!result.withinLimit) process.exitCode = 1;
  } catch (err) {
    console.error(err);
    process.exitCode = 1;
  }
}
