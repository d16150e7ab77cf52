import assert from 'node:assert/strict';
import {
  formatAgo,
  LOCALE_CACHE_LIMIT,
  localeCacheSizes,
  nextChangeAt,
  NOW_THRESHOLD_MS,
  resolveLocale,
} from '../../shared/contract/relative-time.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A fixed publish instant; every case below is expressed as an age relative to it. */
const PUBLISHED = Date.UTC(2024, 0, 15, 12, 0, 0);

type Unit = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

/** The Intl output for "N units ago", so `hi` cases without a spec example track Node's ICU data. */
const hiAgo = (amount: number, unit: Unit): string =>
  new Intl.RelativeTimeFormat('hi', { numeric: 'always' }).format(-amount, unit);

interface Case {
  name: string;
  age: number;
  en: string;
  hi: string;
}

// Ages at and either side of every unit boundary, plus clock-skewed (future) publish times.
const cases: Case[] = [
  { name: '0 s', age: 0, en: 'just now', hi: 'अब' },
  { name: '59 s', age: 59 * SECOND, en: 'just now', hi: 'अब' },
  { name: '60 s', age: 60 * SECOND, en: '1 min ago', hi: hiAgo(1, 'minute') },
  { name: '21 min', age: 21 * MINUTE, en: '21 mins ago', hi: '21 मिनट पहले' },
  { name: '59 min', age: 59 * MINUTE, en: '59 mins ago', hi: hiAgo(59, 'minute') },
  { name: '59 min 59 s', age: HOUR - SECOND, en: '59 mins ago', hi: hiAgo(59, 'minute') },
  { name: '60 min', age: HOUR, en: '1 hour ago', hi: '1 घंटे पहले' },
  { name: '5 h', age: 5 * HOUR, en: '5 hours ago', hi: hiAgo(5, 'hour') },
  { name: '23 h 59 min', age: DAY - MINUTE, en: '23 hours ago', hi: hiAgo(23, 'hour') },
  { name: '24 h', age: DAY, en: '1 day ago', hi: hiAgo(1, 'day') },
  { name: '3 d', age: 3 * DAY, en: '3 days ago', hi: hiAgo(3, 'day') },
  { name: '6 d', age: 6 * DAY, en: '6 days ago', hi: hiAgo(6, 'day') },
  { name: '7 d', age: 7 * DAY, en: '1 week ago', hi: hiAgo(1, 'week') },
  { name: '14 d', age: 14 * DAY, en: '2 weeks ago', hi: hiAgo(2, 'week') },
  { name: '29 d', age: 29 * DAY, en: '4 weeks ago', hi: hiAgo(4, 'week') },
  { name: '30 d', age: 30 * DAY, en: '1 month ago', hi: hiAgo(1, 'month') },
  { name: '60 d', age: 60 * DAY, en: '2 months ago', hi: hiAgo(2, 'month') },
  { name: '364 d', age: 364 * DAY, en: '12 months ago', hi: hiAgo(12, 'month') },
  { name: '365 d', age: 365 * DAY, en: '1 year ago', hi: hiAgo(1, 'year') },
  { name: '730 d', age: 730 * DAY, en: '2 years ago', hi: hiAgo(2, 'year') },
  { name: '3 years', age: 3 * 365 * DAY, en: '3 years ago', hi: hiAgo(3, 'year') },
  { name: '1 min in the future', age: -MINUTE, en: 'just now', hi: 'अब' },
  { name: '1 day in the future', age: -DAY, en: 'just now', hi: 'अब' },
];

describe('formatAgo', () => {
  describe('in English', () => {
    for (const { name, age, en } of cases) {
      it(`labels ${name} as "${en}"`, () => {
        assert.equal(formatAgo(PUBLISHED, PUBLISHED + age, 'en'), en);
      });
    }

    it('uses the same English wording for regional variants such as en-GB and en-IN', () => {
      assert.equal(formatAgo(PUBLISHED, PUBLISHED + 21 * MINUTE, 'en-GB'), '21 mins ago');
      assert.equal(formatAgo(PUBLISHED, PUBLISHED + HOUR, 'en-IN'), '1 hour ago');
    });
  });

  describe('in Hindi (hi)', () => {
    for (const { name, age, hi } of cases) {
      it(`labels ${name} as "${hi}"`, () => {
        assert.equal(formatAgo(PUBLISHED, PUBLISHED + age, 'hi'), hi);
      });
    }

    it('gives the same text on repeated calls (formatters are cached per locale)', () => {
      const first = formatAgo(PUBLISHED, PUBLISHED + 21 * MINUTE, 'hi');
      assert.equal(formatAgo(PUBLISHED, PUBLISHED + 21 * MINUTE, 'hi'), first);
    });
  });

  it('accepts a Date, epoch ms or an ISO 8601 string for publishedAt', () => {
    const now = PUBLISHED + 5 * HOUR;
    const iso = new Date(PUBLISHED).toISOString();
    assert.equal(formatAgo(new Date(PUBLISHED), now, 'en'), '5 hours ago');
    assert.equal(formatAgo(PUBLISHED, now, 'en'), '5 hours ago');
    assert.equal(formatAgo(iso, now, 'en'), '5 hours ago');
  });

  it('throws a RangeError for an unparseable publishedAt', () => {
    assert.throws(() => formatAgo('not a date', PUBLISHED, 'en'), RangeError);
    assert.throws(() => formatAgo(new Date(NaN), PUBLISHED, 'en'), RangeError);
    assert.throws(() => formatAgo(NaN, PUBLISHED, 'hi'), RangeError);
  });
});

describe('nextChangeAt', () => {
  const table: { name: string; age: number; changesAt: number }[] = [
    { name: 'age 0', age: 0, changesAt: NOW_THRESHOLD_MS },
    { name: 'age 59 s', age: 59 * SECOND, changesAt: MINUTE },
    { name: 'age 61 s', age: 61 * SECOND, changesAt: 2 * MINUTE },
    { name: 'age 59 min', age: 59 * MINUTE, changesAt: HOUR },
    { name: 'age 60 min', age: HOUR, changesAt: 2 * HOUR },
    { name: 'age 23 h 30 min', age: 23 * HOUR + 30 * MINUTE, changesAt: DAY },
    { name: 'age 6 d 1 h', age: 6 * DAY + HOUR, changesAt: 7 * DAY },
    { name: 'age 7 d', age: 7 * DAY, changesAt: 14 * DAY },
    { name: 'age 28 d', age: 28 * DAY, changesAt: 30 * DAY },
    { name: 'age 30 d', age: 30 * DAY, changesAt: 60 * DAY },
    // 359 d is "11 months ago" and 360 d is "12 months ago", so the cap at 365 d only applies after.
    { name: 'age 359 d', age: 359 * DAY, changesAt: 360 * DAY },
    { name: 'age 360 d', age: 360 * DAY, changesAt: 365 * DAY },
    { name: 'age 364 d', age: 364 * DAY, changesAt: 365 * DAY },
    { name: 'age 365 d', age: 365 * DAY, changesAt: 730 * DAY },
    { name: 'a publish time 1 day in the future', age: -DAY, changesAt: MINUTE },
  ];

  for (const { name, age, changesAt } of table) {
    it(`at ${name}, returns publishedAt + ${changesAt / SECOND} s`, () => {
      assert.equal(nextChangeAt(PUBLISHED, PUBLISHED + age), PUBLISHED + changesAt);
    });
  }

  it('throws a RangeError for an unparseable publishedAt', () => {
    assert.throws(() => nextChangeAt('yesterday-ish', PUBLISHED), RangeError);
  });

  /** Deterministic PRNG (mulberry32) so a failure reproduces. */
  function seeded(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  for (const locale of ['en', 'hi']) {
    it(`keeps the ${locale} label fixed until the returned instant and changes it there`, () => {
      const random = seeded(20240115);
      for (let i = 0; i < 2000; i++) {
        // Log-uniform up to ~5 years so every unit is hit; about 1 in 10 ages is in the future.
        const magnitude = Math.floor(Math.exp(random() * Math.log(5 * 365 * DAY)));
        const now = PUBLISHED + (random() < 0.1 ? -magnitude : magnitude);
        const label = formatAgo(PUBLISHED, now, locale);
        const next = nextChangeAt(PUBLISHED, now);
        const context = `now = publishedAt + ${now - PUBLISHED} ms, next = ${next}`;

        assert.ok(next > now, context);
        assert.equal(formatAgo(PUBLISHED, next - 1, locale), label, context);
        const between = now + Math.floor(random() * (next - now));
        assert.equal(formatAgo(PUBLISHED, between, locale), label, context);
        assert.notEqual(formatAgo(PUBLISHED, next, locale), label, context);
      }
    });
  }
});

describe('resolveLocale', () => {
  const longButValid = `en-x-${Array.from({ length: 20 }, () => 'abcdefgh').join('-')}`.slice(
    0,
    100,
  );

  const table: { name: string; requested: string | undefined; expected: string }[] = [
    { name: 'a missing locale', requested: undefined, expected: 'en' },
    { name: 'an empty string', requested: '', expected: 'en' },
    { name: '"hi"', requested: 'hi', expected: 'hi' },
    { name: '"HI"', requested: 'HI', expected: 'hi' },
    { name: '"en-gb"', requested: 'en-gb', expected: 'en-GB' },
    { name: 'a malformed tag "xx-invalid-!!"', requested: 'xx-invalid-!!', expected: 'en' },
    { name: 'an unsupported language "zz"', requested: 'zz', expected: 'en' },
    { name: 'a well-formed 100-character tag', requested: longButValid, expected: 'en' },
    {
      name: 'a supported 35-character tag, without its private-use part',
      requested: 'en-x-abcdefgh-abcdefgh-abcdefgh-abc',
      expected: 'en',
    },
    { name: 'a private-use tag "hi-x-1"', requested: 'hi-x-1', expected: 'hi' },
    {
      name: 'an unknown extension "hi-IN-u-foo-bar"',
      requested: 'hi-IN-u-foo-bar',
      expected: 'hi-IN',
    },
    {
      name: 'a numbering system "hi-u-nu-deva"',
      requested: 'hi-u-nu-deva',
      expected: 'hi-u-nu-deva',
    },
  ];

  for (const { name, requested, expected } of table) {
    it(`resolves ${name} to "${expected}"`, () => {
      assert.equal(resolveLocale(requested, 'en'), expected);
    });
  }

  it('keeps its caches bounded when 20,000 distinct locales are resolved and formatted', () => {
    for (let i = 0; i < 20_000; i++) {
      // Each one a different, well-formed tag: private use, script and region variations.
      const requested =
        i % 2 === 0 ? `hi-x-${i}` : `en-${['Latn', 'Deva'][i % 4 === 1 ? 0 : 1]}-x-${i}`;
      formatAgo(PUBLISHED, PUBLISHED + 21 * MINUTE, resolveLocale(requested, 'en'));
    }
    // Distinct numbering systems and regions resolve to distinct locales: those count too.
    for (const nu of Intl.supportedValuesOf('numberingSystem')) {
      formatAgo(PUBLISHED, PUBLISHED + 21 * MINUTE, resolveLocale(`hi-IN-u-nu-${nu}`, 'en'));
    }
    const sizes = localeCacheSizes();
    assert.ok(sizes.formatters <= LOCALE_CACHE_LIMIT, JSON.stringify(sizes));
    assert.ok(sizes.resolved <= LOCALE_CACHE_LIMIT, JSON.stringify(sizes));
  });

  it('returns a locale formatAgo can use without throwing', () => {
    const locale = resolveLocale('HI', 'en');
    assert.equal(formatAgo(PUBLISHED, PUBLISHED + 21 * MINUTE, locale), '21 मिनट पहले');
  });
});
