/// <reference types="mocha" />
import assert from 'node:assert/strict';
import {
  ConfigError,
  loadConfig,
  loadConfigOrExit,
  minReplicas,
} from '../../shared/infra/config.js';

/** A valid token: 16–256 visible ASCII characters. */
const TOKEN_A = 'ingest-token-aaaaaaaaaaaa';
const TOKEN_B = 'ingest-token-bbbbbbbbbbbb';

/** The problems `env` produces; fails when loadConfig does not throw a ConfigError. */
function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.message, error.problems.join('\n'));
    return error.problems;
  }
  assert.fail(`expected a ConfigError for ${JSON.stringify(Object.keys(env))}`);
}

/** Replaces `target[key]` with `value`; the returned function puts the original back exactly. */
function replace(target: object, key: string, value: unknown): () => void {
  const own = Object.getOwnPropertyDescriptor(target, key);
  Object.defineProperty(target, key, { value, configurable: true, writable: true });
  return () => {
    if (own === undefined) Reflect.deleteProperty(target, key);
    else Object.defineProperty(target, key, own);
  };
}

/** One bad value per variable, with the value that must not be echoed when it is a secret. */
const BAD_VALUES: Record<string, string> = {
  PORT: 'abc',
  HOST: 'local host',
  REDIS_URL: 'http://localhost:6379',
  REDIS_MIN_REPLICAS: 'two',
  REDIS_REPLICA_WAIT_MS: '5000',
  KEY_PREFIX: 'khabar:{prod}',
  INGEST_TOKENS: 'short',
  NEWSROOM_TOKENS: 'has a space in it, yes',
  CORS_ORIGINS: 'https://news.example.com/path',
  RECENT_LIMIT: '5',
  HISTORY_LIMIT: '1e3',
  DEFAULT_LOCALE: 'xx-!!',
  WORKER_CONCURRENCY: '0',
  ALLOW_PRIVATE_FEEDS: 'yes',
  PUBLIC_URL: 'ftp://khabar.example.com',
  LOG_LEVEL: 'verbose',
  METRICS_TOKEN: 'tiny',
  INGEST_RATE_LIMIT: '-1',
  SLOW_CLIENT_BUFFER_BYTES: '1024',
};

describe('loadConfig', () => {
  describe('defaults', () => {
    it('uses the documented default for every unset variable', () => {
      const config = loadConfig({ NODE_ENV: 'production' });
      assert.deepEqual(config, {
        port: 3000,
        host: '127.0.0.1',
        redisUrl: undefined,
        redisMinReplicas: undefined,
        redisReplicaWaitMs: 500,
        keyPrefix: 'khabar',
        ingestTokens: [],
        newsroomTokens: [],
        corsOrigins: '*',
        recentLimit: 100,
        historyLimit: 1000,
        defaultLocale: 'en',
        workerConcurrency: 16,
        allowPrivateFeeds: false,
        publicUrl: undefined,
        logLevel: 'info',
        metricsToken: undefined,
        ingestRateLimit: 600,
        slowClientBufferBytes: 1_048_576,
        workerLockMs: 30_000,
        canaryIntervalMs: 30_000,
        nodeEnv: 'production',
        production: true,
        generatedSecrets: [],
      });
    });

    it('treats an empty variable as unset', () => {
      const empty = Object.fromEntries(Object.keys(BAD_VALUES).map((name) => [name, '']));
      const config = loadConfig({ ...empty, NODE_ENV: 'production' });
      assert.equal(config.port, 3000);
      assert.equal(config.corsOrigins, '*');
      assert.deepEqual(config.ingestTokens, []);
    });

    it('defaults NODE_ENV to development', () => {
      const config = loadConfig({});
      assert.equal(config.nodeEnv, 'development');
      assert.equal(config.production, false);
    });
  });

  describe('valid values', () => {
    it('parses every variable into its typed field', () => {
      const config = loadConfig({
        PORT: '8080',
        HOST: '0.0.0.0',
        REDIS_URL: 'rediss://:pw@redis.internal:6380/2',
        KEY_PREFIX: 'khabar-staging_1.0',
        INGEST_TOKENS: ` ${TOKEN_A} ,, ${TOKEN_B} `,
        NEWSROOM_TOKENS: TOKEN_B,
        CORS_ORIGINS: 'https://news.example.com/, http://localhost:5173',
        RECENT_LIMIT: '10',
        HISTORY_LIMIT: '100000',
        DEFAULT_LOCALE: 'hi',
        WORKER_CONCURRENCY: '1000',
        ALLOW_PRIVATE_FEEDS: 'TRUE',
        LOG_LEVEL: 'debug',
        METRICS_TOKEN: 'metrics-token-0123456789',
        INGEST_RATE_LIMIT: '0',
        SLOW_CLIENT_BUFFER_BYTES: '65536',
        NODE_ENV: 'test',
      });
      assert.equal(config.port, 8080);
      assert.equal(config.host, '0.0.0.0');
      assert.equal(config.redisUrl, 'rediss://:pw@redis.internal:6380/2');
      assert.equal(config.keyPrefix, 'khabar-staging_1.0');
      assert.deepEqual(config.ingestTokens, [TOKEN_A, TOKEN_B]);
      assert.deepEqual(config.newsroomTokens, [TOKEN_B]);
      assert.deepEqual(config.corsOrigins, ['https://news.example.com', 'http://localhost:5173']);
      assert.equal(config.recentLimit, 10);
      assert.equal(config.historyLimit, 100_000);
      assert.equal(config.defaultLocale, 'hi');
      assert.equal(config.workerConcurrency, 1000);
      assert.equal(config.allowPrivateFeeds, true);
      assert.equal(config.logLevel, 'debug');
      assert.equal(config.metricsToken, 'metrics-token-0123456789');
      assert.equal(config.ingestRateLimit, 0);
      assert.equal(config.slowClientBufferBytes, 65_536);
      assert.equal(config.nodeEnv, 'test');
      assert.equal(config.production, false);
      assert.deepEqual(config.generatedSecrets, []);
    });

    it('accepts the boolean spellings true, false, 1 and 0 in any case', () => {
      for (const [raw, expected] of [
        ['true', true],
        ['False', false],
        ['1', true],
        ['0', false],
      ] as const) {
        assert.equal(loadConfig({ ALLOW_PRIVATE_FEEDS: raw }).allowPrivateFeeds, expected, raw);
      }
    });

    it('takes PUBLIC_URL as an http(s) base URL without its trailing slash, and refuses a query or credentials', () => {
      assert.equal(
        loadConfig({ PUBLIC_URL: 'https://khabar.example.com/news/' }).publicUrl,
        'https://khabar.example.com/news',
      );
      assert.equal(
        loadConfig({ PUBLIC_URL: 'http://127.0.0.1:3000' }).publicUrl,
        'http://127.0.0.1:3000',
      );
      for (const raw of [
        'https://khabar.example.com/?a=1',
        'https://u:p@khabar.example.com',
        'khabar',
      ]) {
        const [problem] = problemsOf({ PUBLIC_URL: raw });
        assert.match(
          problem ?? '',
          /^PUBLIC_URL: .*, such as PUBLIC_URL=https:\/\/khabar\.example\.com$/,
        );
      }
    });

    it('accepts the integer bounds and rejects one past them', () => {
      assert.equal(loadConfig({ PORT: '0' }).port, 0);
      assert.equal(loadConfig({ PORT: '65535' }).port, 65535);
      assert.equal(problemsOf({ PORT: '65536' }).length, 1);
      assert.equal(problemsOf({ RECENT_LIMIT: '1001' }).length, 1);
      assert.equal(problemsOf({ SLOW_CLIENT_BUFFER_BYTES: '67108865' }).length, 1);
    });
  });

  describe('problems', () => {
    for (const [name, value] of Object.entries(BAD_VALUES)) {
      it(`reports a bad ${name} on one line naming it, with an example of a good value`, () => {
        const problems = problemsOf({ [name]: value });
        assert.equal(problems.length, 1, problems.join('\n'));
        const [problem] = problems as [string];
        assert.ok(problem.startsWith(`${name}: `), problem);
        assert.match(problem, new RegExp(`, such as ${name}=\\S`));
        assert.ok(!problem.includes('\n'), problem);
      });
    }

    it('words a bad PORT as the documentation shows', () => {
      assert.deepEqual(problemsOf({ PORT: 'abc' }), [
        'PORT: "abc" is not a port number; use an integer from 0 to 65535, such as PORT=3000',
      ]);
    });

    it('reports every bad variable together, in one error', () => {
      const problems = problemsOf(BAD_VALUES);
      assert.deepEqual(
        problems.map((problem) => problem.slice(0, problem.indexOf(':'))),
        Object.keys(BAD_VALUES),
      );
    });

    it('keeps a value with a newline to one line', () => {
      const [problem] = problemsOf({ LOG_LEVEL: 'info\nPORT: fine' });
      assert.ok(problem !== undefined && !problem.includes('\n'), problem);
    });
  });

  describe('secrets', () => {
    it('never repeats a token, even when the token is the bad value', () => {
      const secrets = {
        INGEST_TOKENS: `abcde,${TOKEN_A},token with spaces in it`,
        NEWSROOM_TOKENS: 'x'.repeat(300),
        METRICS_TOKEN: 'hunter2',
      };
      const problems = problemsOf({ ...secrets, PORT: 'abc' });
      assert.equal(problems.length, 4);
      const text = problems.join('\n');
      for (const secret of ['abcde', TOKEN_A, 'token with spaces', 'x'.repeat(20), 'hunter2']) {
        assert.ok(!text.includes(secret), `${secret} appears in:\n${text}`);
      }
      assert.match(text, /^INGEST_TOKENS: token 1 of 3 is too short, token 3 of 3 contains/m);
    });

    it('does not repeat a REDIS_URL that fails to parse, since it may hold a password', () => {
      const [problem] = problemsOf({ REDIS_URL: 'redis//:s3cret-pass@host' });
      assert.ok(problem !== undefined && !problem.includes('s3cret-pass'), problem);
    });

    it('reports a token list that lists no token', () => {
      const [problem] = problemsOf({ INGEST_TOKENS: ' , ,' });
      assert.match(problem ?? '', /^INGEST_TOKENS: lists no token/);
    });

    it('in production, leaves unset tokens empty and generates nothing', () => {
      const config = loadConfig({ NODE_ENV: 'production' });
      assert.deepEqual(config.ingestTokens, []);
      assert.deepEqual(config.newsroomTokens, []);
      assert.deepEqual(config.generatedSecrets, []);
    });

    it('outside production, generates one random token per unset token variable', () => {
      const config = loadConfig({ NODE_ENV: 'development', NEWSROOM_TOKENS: TOKEN_B });
      assert.equal(config.ingestTokens.length, 1);
      assert.match(config.ingestTokens[0]!, /^[A-Za-z0-9_-]{32}$/);
      assert.deepEqual(config.newsroomTokens, [TOKEN_B]);
      assert.deepEqual(config.generatedSecrets, ['INGEST_TOKENS']);
      assert.notEqual(loadConfig({}).ingestTokens[0], config.ingestTokens[0]);
    });

    it('uses the configured tokens rather than generating any', () => {
      const config = loadConfig({ INGEST_TOKENS: TOKEN_A, NEWSROOM_TOKENS: TOKEN_B });
      assert.deepEqual(config.generatedSecrets, []);
    });
  });

  describe('the result', () => {
    it('is deeply frozen', () => {
      const config = loadConfig({ CORS_ORIGINS: 'http://localhost:5173' });
      assert.ok(Object.isFrozen(config));
      for (const list of [
        config.ingestTokens,
        config.newsroomTokens,
        config.corsOrigins,
        config.generatedSecrets,
      ]) {
        assert.ok(Object.isFrozen(list));
      }
      assert.throws(() => {
        (config as { port: number }).port = 1;
      }, TypeError);
      assert.throws(() => {
        (config.ingestTokens as string[]).push('another-token-0000000');
      }, TypeError);
    });
  });

  describe('CORS_ORIGINS', () => {
    it('accepts *', () => {
      assert.equal(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins, '*');
    });

    it('accepts origins with a port and drops a trailing slash', () => {
      assert.deepEqual(
        loadConfig({ CORS_ORIGINS: 'http://localhost:5173/,https://a.example' }).corsOrigins,
        ['http://localhost:5173', 'https://a.example'],
      );
    });

    for (const [value, why] of [
      ['https://news.example.com/feed', 'a path'],
      ['https://news.example.com?x=1', 'a query'],
      ['news.example.com', 'no scheme'],
      ['ftp://news.example.com', 'a scheme other than http(s)'],
      ['https://News.example.com', 'a host not in canonical form'],
      ['https://news.example.com:443', 'the default port spelled out'],
      ['*,https://news.example.com', '* mixed with origins'],
    ]) {
      it(`rejects an origin with ${why}`, () => {
        const problems = problemsOf({ CORS_ORIGINS: value });
        assert.equal(problems.length, 1);
        assert.match(problems[0]!, /^CORS_ORIGINS: /);
      });
    }

    it('suggests the origin a URL probably meant', () => {
      const [problem] = problemsOf({ CORS_ORIGINS: 'https://news.example.com/feed' });
      assert.match(problem ?? '', /did you mean https:\/\/news\.example\.com\?/);
    });
  });

  describe('DEFAULT_LOCALE', () => {
    it('accepts hi', () => {
      assert.equal(loadConfig({ DEFAULT_LOCALE: 'hi' }).defaultLocale, 'hi');
    });

    it('stores the canonical form of the tag', () => {
      assert.equal(loadConfig({ DEFAULT_LOCALE: 'HI-in' }).defaultLocale, 'hi-IN');
    });

    it('rejects a malformed tag such as xx-!!', () => {
      assert.match(problemsOf({ DEFAULT_LOCALE: 'xx-!!' })[0]!, /^DEFAULT_LOCALE: "xx-!!"/);
    });

    it('rejects a well-formed tag with no relative-time support', () => {
      assert.match(problemsOf({ DEFAULT_LOCALE: 'xx' })[0]!, /^DEFAULT_LOCALE: "xx"/);
    });
  });
});

describe('loadConfigOrExit', () => {
  it('returns the configuration when the environment is valid', () => {
    assert.equal(loadConfigOrExit({ PORT: '4000' }).port, 4000);
  });

  it('writes every problem to stderr under a heading and exits with status 1', () => {
    let written = '';
    let status: unknown;
    const restoreExit = replace(process, 'exit', (code?: unknown): never => {
      status = code;
      throw new Error('process.exit');
    });
    const restoreWrite = replace(process.stderr, 'write', (chunk: unknown): boolean => {
      written += String(chunk);
      return true;
    });
    try {
      assert.throws(() => loadConfigOrExit({ PORT: 'abc', INGEST_TOKENS: 'sEcR3t' }), {
        message: 'process.exit',
      });
    } finally {
      restoreExit();
      restoreWrite();
    }
    assert.equal(status, 1);
    const lines = written.trimEnd().split('\n');
    assert.equal(lines[0], 'khabar: invalid configuration:');
    assert.match(lines[1]!, /^ {2}PORT: /);
    assert.match(lines[2]!, /^ {2}INGEST_TOKENS: /);
    assert.equal(lines.length, 3);
    assert.ok(!written.includes('sEcR3t'), written);
  });

  it('writes a lone problem on one line, without the password of a REDIS_URL', () => {
    let written = '';
    const restoreExit = replace(process, 'exit', (): never => {
      throw new Error('process.exit');
    });
    const restoreWrite = replace(process.stderr, 'write', (chunk: unknown): boolean => {
      written += String(chunk);
      return true;
    });
    try {
      assert.throws(() => loadConfigOrExit({ REDIS_URL: 'redis+sentinel://:hunter2@s1:26379' }));
    } finally {
      restoreExit();
      restoreWrite();
    }
    assert.match(written, /^khabar: invalid configuration: REDIS_URL: .*master name.*\n$/);
    assert.equal(written.split('\n').length, 2, written);
    assert.ok(!written.includes('hunter2'), written);
  });
});

describe('minReplicas', () => {
  it('is 1 for a Sentinel set or a Cluster, 0 for one server, unless REDIS_MIN_REPLICAS says', () => {
    assert.equal(minReplicas(loadConfig({})), 0);
    assert.equal(minReplicas(loadConfig({ REDIS_URL: 'redis://h:1' })), 0);
    assert.equal(minReplicas(loadConfig({ REDIS_URL: 'redis+sentinel://s:1/m' })), 1);
    assert.equal(minReplicas(loadConfig({ REDIS_URL: 'rediss+cluster://n:1,n:2' })), 1);
    assert.equal(minReplicas(loadConfig({ REDIS_URL: 'redis://h:1', REDIS_MIN_REPLICAS: '1' })), 1);
    const none = { REDIS_URL: 'redis+sentinel://s:1/m', REDIS_MIN_REPLICAS: '0' };
    assert.equal(minReplicas(loadConfig(none)), 0);
  });
});
