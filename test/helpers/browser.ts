import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { requireExecutable } from './prerequisites.js';

/**
 * Debian's Chromium, headless. Background networking is off: this machine has no network
 * beyond loopback, and Chromium's own update and sync calls would only fail.
 */
export function launchBrowser(): Promise<Browser> {
  const executablePath = requireExecutable(
    process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    'Chromium, for the browser tests,',
    'Debian/Ubuntu "sudo apt-get install chromium fonts-noto-core", or set CHROMIUM_PATH to a Chromium or Chrome binary',
  );
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A publisher's page on its own origin (another port), to embed the widget as a stranger would. */
export async function serveHostPage(
  html: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}
