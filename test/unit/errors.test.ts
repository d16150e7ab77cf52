/// <reference types="mocha" />
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  appError,
  AppError,
  ERRORS,
  errorMessage,
  POLL_ERRORS,
  type AppErrorArgs,
  type ErrorCode,
} from '../../shared/infra/errors.js';

/** The repository root, from dist/test/unit/. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const REGISTRY = 'shared/infra/errors.ts';

/** The TypeScript sources of the service (tests, benchmarks and browser bundles aside). */
function sources(): { path: string; text: string }[] {
  const found: { path: string; text: string }[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
        found.push({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') });
    }
  };
  for (const top of ['shared', 'server', 'workers']) walk(join(ROOT, top));
  return found;
}

/**
 * One set of parameters per code, typed by the registry: a code added without a sample here
 * does not compile.
 */
const SAMPLES: { [C in ErrorCode]: AppErrorArgs<C> } = {
  invalid_path: [],
  invalid_json: [],
  invalid_body: [{ problem: 'not_an_object', got: 'null', max: 100 }],
  payload_too_large: [{ limitBytes: 16384, articles: false }],
  unsupported_media_type: [],
  unsupported_encoding: [{ encoding: 'compress' }],
  unsupported_charset: [{ charset: 'latin1' }],
  request_aborted: [],
  bad_request: [{ problem: 'request entity verification failed', status: 403 }],
  unauthorized: [{ variable: 'INGEST_TOKENS' }],
  forbidden: [{ variable: 'INGEST_TOKENS' }],
  write_api_disabled: [{ variable: 'INGEST_TOKENS' }],
  rate_limited: [{ limit: 'token', retryInSeconds: 3 }],
  invalid_query: [{ details: [{ path: 'limit', message: 'limit must be at most 100' }] }],
  invalid_source: [{ details: [] }],
  invalid_article: [{ details: [{ path: 'title', message: 'title is required.' }] }],
  invalid_articles: [{ rejected: 2, details: [] }],
  too_many_articles: [{ max: 100, got: 101, path: 'articles' }],
  blocked_address: [{ privateHost: 'localhost' }],
  page_unreachable: [
    { page: 'https://example.com/news', reason: 'https://example.com/news answered HTTP 404' },
  ],
  no_feed_found: [{ page: 'https://example.com/news' }],
  not_found: [{ job: '42' }],
  source_exists: [{ id: 'sabc' }],
  not_failed: [{ job: '42', state: 'waiting' }],
  conflict: [],
  redis_unavailable: [{ cause: new Error('ECONNREFUSED') }],
  replicas_unreached: [{ replicas: 1 }],
  internal_error: [],
  demo_page_missing: [{ file: 'demo.js' }],
  dashboard_page_missing: [],
  widget_not_built: [],
  dashboard_not_built: [],
  invalid_request: [{ problem: 'since must be the last cursor you received' }],
  too_many_channels: [{ max: 50 }],
  unavailable: [{ what: 'channel' }],
  no_token: [],
  wrong_token: [],
  origin_not_allowed: [],
};

const codes = Object.keys(ERRORS) as ErrorCode[];
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- ties a code to its samples
const build = <C extends ErrorCode>(code: C): AppError => appError(code, ...SAMPLES[code]);

describe('the registry of errors', () => {
  it('gives every code a 4xx or 5xx status and a message that ends a sentence', () => {
    for (const code of codes) {
      const { status } = ERRORS[code];
      assert.ok(status >= 400 && status <= 599, `${code}: status ${status}`);
      const { message } = build(code);
      assert.match(message, /^\S.*[.?!]$/su, `${code}: "${message}"`);
      assert.doesNotMatch(message, /\.\.$|undefined|\[object /u, `${code}: "${message}"`);
    }
  });

  it('spells every code in lower_snake_case', () => {
    for (const code of [...codes, ...Object.keys(POLL_ERRORS)])
      assert.match(code, /^[a-z]+(?:_[a-z]+)*$/u, code);
  });

  it('uses every code somewhere outside the registry', () => {
    const text = sources()
      .filter((file) => file.path !== REGISTRY)
      .map((file) => file.text)
      .join('\n');
    const unused = [...codes, ...Object.keys(POLL_ERRORS)].filter(
      (code) => !text.includes(`'${code}'`),
    );
    assert.deepEqual(unused, [], 'codes no source file names');
  });

  it('leaves no AppError built by hand and no socket failure spelled outside the registry', () => {
    const offenders = sources()
      .filter((file) => file.path !== REGISTRY)
      .flatMap(({ path, text }) =>
        [
          ...text.matchAll(
            /new AppError\(|ok: false,\s*error: '|status\(\d+\)\.json\(\{\s*error:/gu,
          ),
        ].map((m) => `${path}: ${m[0]}`),
      );
    assert.deepEqual(offenders, []);
  });

  it("builds each error's answer from the table: code, status, message, details, never the cause", () => {
    const err = appError('redis_unavailable', { cause: new Error('secret host 10.0.0.7') });
    assert.equal(err.status, 503);
    assert.equal(err.code, 'redis_unavailable');
    assert.ok(err.cause instanceof Error);
    assert.deepEqual(JSON.parse(JSON.stringify(err)), {
      error: 'redis_unavailable',
      message: 'Storage is unavailable; retry in a few seconds.',
    });
    const tooMany = build('too_many_articles');
    assert.deepEqual(tooMany.toJSON().details, [{ path: 'articles', message: tooMany.message }]);
    const query = build('invalid_query');
    assert.equal(query.message, 'limit must be at most 100.');
    assert.deepEqual(query.toJSON().details, [
      { path: 'limit', message: 'limit must be at most 100' },
    ]);
    assert.equal(build('bad_request').status, 403, "the HTTP layer's own 4xx is kept");
    assert.equal(errorMessage('no_token'), 'Give a token from NEWSROOM_TOKENS.');
  });

  it('tells a person what to give instead when a page names no feed, or is not a page', () => {
    const page = 'https://example.com/news';
    const none = appError('no_feed_found', { page });
    assert.equal(none.status, 422);
    assert.match(
      none.message,
      /^The page at https:\/\/example\.com\/news names no RSS, Atom or JSON feed/,
    );
    assert.match(none.message, /<link rel="alternate"/);
    assert.match(none.message, /give the feed's URL instead\.$/);
    const image = appError('no_feed_found', { page, notHtml: 'image/png' });
    assert.match(image.message, /neither a feed nor an HTML page \(image\/png\)/);
    const unreachable = appError('page_unreachable', { page, reason: 'It timed out' });
    assert.equal(unreachable.status, 422);
    assert.match(unreachable.message, /It timed out\. Check the address/);
  });

  it('describes every code a feed poll can fail with, by the stage that raises it', () => {
    for (const [code, { stage, meaning }] of Object.entries(POLL_ERRORS)) {
      assert.ok(['fetch', 'parse', 'poll'].includes(stage), code);
      assert.ok(meaning.length > 10, code);
    }
  });
});
