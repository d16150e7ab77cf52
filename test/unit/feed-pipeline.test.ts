import assert from 'node:assert/strict';
import { normalizeArticle } from '../../shared/domain/article/normalize.js';
import { decodeFeed } from '../../workers/poll/decode.js';
import { itemKey, itemToArticle, mapFeedItem, type SkipReason } from '../../workers/poll/map.js';
import { FeedError } from '../../shared/domain/feed/feed-error.js';
import { parseFeedText } from '../../workers/poll/parse/parse-feed.js';
import type { ParsedFeed } from '../../workers/poll/parse/parsed-feed.js';
import { context, fixtureBytes, MANIFEST, NOW, parseFixture } from '../helpers/feed-fixtures.js';

/*
 * The whole poll pipeline (decode → parse → map → normalizeArticle) over every feed capture in
 * test/fixtures/feeds; each stage has its own tests under unit/poll/.
 */

/**
 * The MANIFEST files that are not feeds: an HTML page, a gzip body, a Reuters feed cut off before
 * its items, a "Document Moved" page; and one more that the MANIFEST itself marks "XML (not a
 * feed)": miniflux's iso88591_utf8_mismatch.xml is a `<note>` document kept for its encoding quirk
 * (tested in unit/poll/decode.test.ts). Its root is not a feed, so it is rejected as one rather than
 * passed off as an empty feed.
 */
const NOT_FEEDS: Readonly<Record<string, FeedError['code']>> = {
  'nodefeedparser__notafeed.html': 'not_a_feed',
  'nodefeedparser__invalid-characters-gzipped.xml': 'not_a_feed',
  'feedrs__rss_2.0_invalid_1.xml': 'malformed',
  'rssparser__unrecognized.rss': 'not_a_feed',
  'miniflux__iso88591_utf8_mismatch.xml': 'not_a_feed',
};

/**
 * The items of real feeds that give no article, and why. Each is a fixture that cannot meet the
 * rules (an article needs a URL and a title), not a relaxed rule.
 */
const EXPECTED_SKIPS: Readonly<Record<string, Partial<Record<SkipReason, number>>>> = {
  // RSS 0.91 item with neither <link> nor <guid> (its only URL is an <A HREF> in the text).
  'feedrs__rss_0.91_missing_id.xml': { no_url: 1 },
  // An empty item: <title></title><link></link><description></description>.
  'miniflux__no_encoding_ISO-8859-1.xml': { no_url: 1 },
  // Encoding fixtures: their entries have text but no link or URL id.
  'miniflux__invalid-prolog.xml': { no_url: 1 },
  'pyfeedparser__chardet_eucjp.xml': { no_url: 1 },
  'pyfeedparser__chardet_koi8r.xml': { no_url: 1 },
  'pyfeedparser__chardet_tis620.xml': { no_url: 1 },
  'pyfeedparser__chardet_windows1255.xml': { no_url: 1 },
  // The item is only a <link>: no title and no text to make one from.
  'pyfeedparser__rss_item_link_corrupted_ampersands.xml': { no_title: 1 },
  // Its only entry link is rel="replies" and its id ("example-entry") is not a URL.
  'feedsmith__atom-ns.xml': { no_url: 1 },
};

interface FileOutcome {
  feed?: ParsedFeed;
  error?: unknown;
  skipped: Partial<Record<SkipReason, number>>;
  invalid: string[];
  valid: number;
}

function runPipeline(file: string): FileOutcome {
  const outcome: FileOutcome = { skipped: {}, invalid: [], valid: 0 };
  const feedUrl = `https://feeds.example.com/${file}`;
  try {
    outcome.feed = parseFeedText(decodeFeed(fixtureBytes(file)).text, feedUrl);
  } catch (error) {
    outcome.error = error;
    return outcome;
  }
  for (const item of outcome.feed.items) {
    const ctx = context({ feedUrl, ...(outcome.feed.lang ? { lang: outcome.feed.lang } : {}) });
    const mapped = mapFeedItem(item, ctx);
    if (!mapped.ok) {
      outcome.skipped[mapped.reason] = (outcome.skipped[mapped.reason] ?? 0) + 1;
      continue;
    }
    const result = normalizeArticle(mapped.article, NOW);
    if (result.ok) outcome.valid += 1;
    else outcome.invalid.push(JSON.stringify(result.details));
  }
  return outcome;
}

describe('feed pipeline over the fixture corpus', () => {
  const outcomes = new Map<string, FileOutcome>();

  before(function () {
    // 78 real feeds, some of 200 KB: more than mocha's default 2 s on a slow CI machine.
    this.timeout(60_000);
    for (const { file } of MANIFEST) outcomes.set(file, runPipeline(file));
  });

  it('lists 78 fixtures in the MANIFEST, all present', () => {
    assert.equal(MANIFEST.length, 78);
    for (const { file } of MANIFEST) assert.ok(fixtureBytes(file).length > 0, file);
  });

  it('takes every feed through decode → parse → itemToArticle → normalizeArticle without throwing', () => {
    const summary = {
      files: 0,
      parsed: 0,
      itemsSeen: 0,
      valid: 0,
      skipped: {} as Record<string, number>,
      errors: {} as Record<string, number>,
    };
    for (const { file } of MANIFEST) {
      const outcome = outcomes.get(file);
      assert.ok(outcome);
      summary.files += 1;
      if (outcome.error !== undefined) {
        const code = outcome.error instanceof FeedError ? outcome.error.code : 'crash';
        summary.errors[code] = (summary.errors[code] ?? 0) + 1;
        const reason = outcome.error instanceof Error ? outcome.error.message : 'a non-Error';
        if (NOT_FEEDS[file] === undefined) assert.fail(`${file} threw: ${reason}`);
        continue;
      }
      summary.parsed += 1;
      summary.itemsSeen += outcome.feed?.items.length ?? 0;
      summary.valid += outcome.valid;
      for (const [reason, count] of Object.entries(outcome.skipped)) {
        summary.skipped[reason] = (summary.skipped[reason] ?? 0) + count;
      }
      assert.deepEqual(outcome.invalid, [], `${file}: mapped articles must pass normalizeArticle`);
      assert.deepEqual(outcome.skipped, EXPECTED_SKIPS[file] ?? {}, `${file}: skipped items`);
    }
    console.log(
      `feed corpus: ${summary.parsed}/${summary.files} files parsed, ${summary.itemsSeen} items seen, ` +
        `${summary.valid} mapped to valid articles, skipped ${JSON.stringify(summary.skipped)}, ` +
        `errors ${JSON.stringify(summary.errors)}`,
    );
    assert.equal(summary.parsed, MANIFEST.length - Object.keys(NOT_FEEDS).length);
  });

  it('rejects the documents that are not feeds with FeedError and the right code', () => {
    for (const [file, code] of Object.entries(NOT_FEEDS)) {
      const error = outcomes.get(file)?.error;
      assert.ok(error instanceof FeedError, `${file} must throw a FeedError`);
      assert.equal(error.code, code, file);
      assert.match(error.message, /feed/, `${file}: the message names the problem`);
    }
  });

  it('names what the rejected document is, so that a person can fix the URL', () => {
    const message = (file: string): string => {
      const error = outcomes.get(file)?.error;
      return error instanceof Error ? error.message : '';
    };
    assert.match(message('nodefeedparser__notafeed.html'), /HTML page/);
    assert.match(message('rssparser__unrecognized.rss'), /HTML page/);
    assert.match(message('nodefeedparser__invalid-characters-gzipped.xml'), /gzip/);
    assert.match(message('feedrs__rss_2.0_invalid_1.xml'), /cut off/);
  });

  it('gives every item the same key and article on the next poll, so no story is posted twice', function () {
    this.timeout(60_000);
    for (const [file, outcome] of outcomes) {
      if (outcome.feed === undefined) continue;
      const again = parseFixture(file);
      const ctx = context();
      assert.deepEqual(again.items.map(itemKey), outcome.feed.items.map(itemKey), file);
      assert.deepEqual(
        again.items.map((item) => itemToArticle(item, ctx)),
        outcome.feed.items.map((item) => itemToArticle(item, ctx)),
        file,
      );
    }
  });
});
