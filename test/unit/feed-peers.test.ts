import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { normalizeArticle } from '../../shared/domain/article/normalize.js';
import { decodeFeed } from '../../workers/poll/decode.js';
import { mapFeedItem } from '../../workers/poll/map.js';
import { parseFeedText } from '../../workers/poll/parse/parse-feed.js';
import { context, FIRST_SEEN, NOW } from '../helpers/feed-fixtures.js';

/*
 * The peers set: small feed documents in test/fixtures/feeds/peers, each listed in one of its
 * expected-*.json files with the first item's title, link and date as a poll stores them
 * (decode → parse → map → normalizeArticle). Prints how many match per category; all must.
 */

const PEERS = new URL('../../../test/fixtures/feeds/peers/', import.meta.url);

/** What an expected-*.json entry says; `date` is null when the item has no readable date. */
const EXPECTED = z.array(
  z.object({
    file: z.string(),
    category: z.string(),
    title: z.string(),
    link: z.string(),
    date: z.string().nullable(),
  }),
);

type Expected = z.infer<typeof EXPECTED>[number];

/** The facts compared: the first item's title, link and date. */
type FirstItem = Pick<Expected, 'title' | 'link' | 'date'>;

function readExpected(): Expected[] {
  const files = readdirSync(PEERS).filter((name) => /^expected-.*\.json$/.test(name));
  return files.flatMap((name) =>
    EXPECTED.parse(JSON.parse(readFileSync(new URL(name, PEERS), 'utf8'))),
  );
}

/** The first item of a fixture as a poll would store it, or the error that stopped it. */
function firstArticle(file: string): FirstItem | { error: string } {
  const feedUrl = `https://feeds.example.com/peers/${file}`;
  try {
    const feed = parseFeedText(decodeFeed(readFileSync(new URL(file, PEERS))).text, feedUrl);
    const item = feed.items[0];
    if (item === undefined) return { error: 'no items' };
    const mapped = mapFeedItem(
      item,
      context({ feedUrl, ...(feed.lang ? { lang: feed.lang } : {}) }),
    );
    if (!mapped.ok) return { error: `skipped: ${mapped.reason}` };
    const normalized = normalizeArticle(mapped.article, NOW);
    if (!normalized.ok) return { error: `invalid: ${JSON.stringify(normalized.details)}` };
    const { title, url, publishedAt } = normalized.article;
    // An item without a readable date is stamped with the time it was first seen.
    const dated = publishedAt !== undefined && Date.parse(publishedAt) !== FIRST_SEEN;
    return { title, link: url, date: dated ? publishedAt : null };
  } catch (error) {
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

describe('peers fixtures (test/fixtures/feeds/peers)', () => {
  const expected = readExpected();

  it('lists every fixture in the folder exactly once', () => {
    const listed = expected.map((entry) => entry.file).sort();
    const present = readdirSync(PEERS)
      .filter((name) => !/^expected-.*\.json$/.test(name) && !name.startsWith('.'))
      .sort();
    assert.deepEqual(listed, present);
  });

  it('gives each fixture its expected first item, in every category', () => {
    const tally = new Map<string, { passed: number; total: number }>();
    const failures: string[] = [];
    for (const entry of expected) {
      const count = tally.get(entry.category) ?? { passed: 0, total: 0 };
      tally.set(entry.category, count);
      count.total += 1;
      const actual = firstArticle(entry.file);
      const want = { title: entry.title, link: entry.link, date: entry.date };
      if (JSON.stringify(actual) === JSON.stringify(want)) {
        count.passed += 1;
      } else {
        failures.push(
          `${entry.file}: expected ${JSON.stringify(want)}, got ${JSON.stringify(actual)}`,
        );
      }
    }
    for (const [category, { passed, total }] of [...tally].sort()) {
      console.log(`      ${category}: ${passed}/${total}`);
    }
    assert.deepEqual(failures, []);
  });
});
