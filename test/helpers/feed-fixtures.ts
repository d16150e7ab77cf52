/**
 * The feed captures of test/fixtures/feeds (real feeds and their MANIFEST.tsv), and the clock and
 * mapping context the poll tests share.
 */
import { readFileSync } from 'node:fs';
import { decodeFeed } from '../../workers/poll/decode.js';
import type { MapContext } from '../../workers/poll/map.js';
import { parseFeedText } from '../../workers/poll/parse/parse-feed.js';
import type { ParsedFeed } from '../../workers/poll/parse/parsed-feed.js';

/** The feed captures in the repository (compiled to dist/test/helpers/, so three levels up is the root). */
const FIXTURES = new URL('../../../test/fixtures/feeds/', import.meta.url);

export const NOW = Date.parse('2026-01-01T00:00:00.000Z');
export const FIRST_SEEN = NOW - 60_000;

export function fixtureBytes(name: string): Uint8Array {
  return readFileSync(new URL(name, FIXTURES));
}

/** A fixture decoded and parsed, with a feed URL under a host of our choosing. */
export function parseFixture(
  name: string,
  feedUrl = `https://feeds.example.com/${name}`,
): ParsedFeed {
  return parseFeedText(decodeFeed(fixtureBytes(name)).text, feedUrl);
}

export function context(overrides: Partial<MapContext> = {}): MapContext {
  return {
    feedUrl: 'https://feeds.example.com/feed.xml',
    channels: ['top'],
    now: NOW,
    firstSeenAt: FIRST_SEEN,
    ...overrides,
  };
}

/** One MANIFEST.tsv row (a TSV with CSV-style quoting: `"a ""b"" c"`). */
export interface ManifestRow {
  file: string;
  format: string;
  language: string;
  quirk: string;
  expected: string;
}

function unquote(cell: string): string {
  return cell.startsWith('"') && cell.endsWith('"')
    ? cell.slice(1, -1).replaceAll('""', '"')
    : cell;
}

function readManifest(): ManifestRow[] {
  const lines = readFileSync(new URL('MANIFEST.tsv', FIXTURES), 'utf8').trim().split('\n');
  return lines.slice(1).map((line) => {
    const cells = line.split('\t').map(unquote);
    return {
      file: cells[0] ?? '',
      format: cells[3] ?? '',
      language: cells[4] ?? '',
      quirk: cells[5] ?? '',
      expected: cells[6] ?? '',
    };
  });
}

export const MANIFEST = readManifest();

/** A fixture's text as parsed JSON (the golden files). */
export function fixtureJson(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
}
