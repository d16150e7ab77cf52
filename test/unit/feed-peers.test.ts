import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import type { NormalizedArticle } from '../../shared/domain/article/normalize.js';
import type { SourceConfig } from '../../shared/domain/sources.js';
import type { StoreArticle } from '../../workers/ingest/store-article.js';
import { storeFeedDocument } from '../../workers/poll/store-feed.js';
import { NOW } from '../helpers/feed-fixtures.js';

/*
 * The peers set: small feed documents written for one tricky case each (dates, encodings, control
 * characters, formats), and for each an `expected-*.json` naming the first item's title, link and
 * date. Every expected file in the folder is read, whichever branch added it, and each fixture goes
 * through storeFeedDocument, the very function a poll and a WebSub push use (decode → parse → map
 * → normalizeArticle), so the test measures the service, not a copy of its pipeline.
 */

/** Compiled to dist/test/unit/, so three levels up is the repository root. */
const PEERS = new URL('../../../test/fixtures/feeds/peers/', import.meta.url);

/** One row of an `expected-*.json`: `date` null when the item's own date must not be used. */
interface PeerExpectation {
  file: string;
  category: string;
  title: string;
  link: string;
  date: string | null;
}

const TEXT_FIELDS = ['file', 'category', 'title', 'link'] as const;

function isExpectation(value: unknown): value is PeerExpectation {
  if (typeof value !== 'object' || value === null) return false;
  const row = value as Record<string, unknown>;
  const date = row.date;
  return (
    TEXT_FIELDS.every((key) => typeof row[key] === 'string') &&
    (date === null || typeof date === 'string')
  );
}

function readExpectations(): PeerExpectation[] {
  const files = readdirSync(PEERS).filter((name) => /^expected-.*\.json$/.test(name));
  return files.sort().flatMap((name) => {
    const rows: unknown = JSON.parse(readFileSync(new URL(name, PEERS), 'utf8'));
    assert.ok(Array.isArray(rows), `${name} must be an array`);
    return rows.map((row: unknown, index) => {
      assert.ok(
        isExpectation(row),
        `${name}[${String(index)}] has file, category, title, link, date`,
      );
      return row;
    });
  });
}

/**
 * A date the poll did not take from the item: the first-seen time. Distinct from NOW so that a
 * publishedAt equal to it can only mean "no usable date of its own".
 */
const FIRST_SEEN = NOW - 3_600_000;

const SOURCE: SourceConfig = {
  id: 'peers',
  url: 'https://peers.example.com/feed',
  channels: ['top'],
  intervalSeconds: 300,
  createdAt: new Date(NOW).toISOString(),
};

interface FirstItem {
  title?: string;
  link?: string;
  date: string | null;
}

/** The first item as a poll of `file` would store it. */
async function firstStored(file: string): Promise<FirstItem> {
  const stored: NormalizedArticle[] = [];
  const storeArticle: StoreArticle = (article) => {
    stored.push(article);
    return Promise.resolve({ postId: article.id, status: 'created', events: 1 });
  };
  const firstSeen = (_id: string, keys: string[]): Promise<Map<string, number>> =>
    Promise.resolve(new Map(keys.map((key) => [key, FIRST_SEEN])));
  await storeFeedDocument(
    { store: { firstSeen }, storeArticle, recentLimit: 100 },
    SOURCE,
    // No Content-Type: what the bytes say is what the fixture is about.
    { body: readFileSync(new URL(file, PEERS)), feedUrl: SOURCE.url },
    NOW,
  );
  const first = stored[0];
  if (first === undefined) return { date: null };
  const publishedAt = first.publishedAt;
  const fromItem = publishedAt !== undefined && Date.parse(publishedAt) !== FIRST_SEEN;
  return { title: first.title, link: first.url, date: fromItem ? publishedAt : null };
}

describe('feed peers: small tricky documents through the poll pipeline', () => {
  const expectations = readExpectations();
  const results = new Map<string, { passed: number; total: number; failures: string[] }>();

  after(() => {
    for (const [category, { passed, total }] of results) {
      console.log(`      ${category}: ${String(passed)}/${String(total)}`);
    }
  });

  it('lists every fixture of the folder exactly once: at least 60, 30 of them dates', () => {
    assert.ok(expectations.length >= 60, `${String(expectations.length)} fixtures`);
    assert.ok(expectations.filter((row) => row.file.startsWith('date-')).length >= 30);
    const listed = expectations.map((row) => row.file).sort();
    const present = readdirSync(PEERS)
      .filter((name) => !/^expected-.*\.json$/.test(name))
      .sort();
    assert.deepEqual(listed, present);
  });

  it('gives each fixture its expected first title, link and date', async () => {
    for (const row of expectations) {
      const got = await firstStored(row.file).catch((err: unknown) => ({
        date: null,
        error: String(err),
      }));
      const entry = results.get(row.category) ?? { passed: 0, total: 0, failures: [] };
      entry.total += 1;
      const want = { title: row.title, link: row.link, date: row.date };
      const actual = 'error' in got ? got : { title: got.title, link: got.link, date: got.date };
      try {
        assert.deepEqual(actual, want);
        entry.passed += 1;
      } catch {
        entry.failures.push(
          `${row.file}: got ${JSON.stringify(actual)}, want ${JSON.stringify(want)}`,
        );
      }
      results.set(row.category, entry);
    }
    const failures = [...results.values()].flatMap((entry) => entry.failures);
    assert.equal(failures.length, 0, `failed:\n${failures.join('\n')}`);
  });
});
