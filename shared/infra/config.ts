/**
 * Khabar's configuration. It comes only from environment variables, read and validated once at
 * start-up: {@link loadConfig} checks every variable and reports every problem at once, one line
 * per variable, each naming the variable, what is wrong and an example of a good value.
 *
 * An empty variable counts as unset. Secret values (`INGEST_TOKENS`, `NEWSROOM_TOKENS`,
 * `METRICS_TOKEN`) are never repeated in a problem; `REDIS_URL` is not repeated either, since it
 * may hold a password.
 */
import { randomBytes } from 'node:crypto';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Token variables that get a random value outside production when unset. */
export type GeneratedSecret = 'INGEST_TOKENS' | 'NEWSROOM_TOKENS';

export interface Config {
  /** `PORT`, default `3000`. TCP port the HTTP and Socket.IO server listens on (0–65535). */
  readonly port: number;
  /** `HOST`, default `127.0.0.1`. Address the server listens on; `0.0.0.0` listens on all. */
  readonly host: string;
  /**
   * `REDIS_URL`, default unset. `redis://` or `rediss://` URL of the Redis server; unset means the
   * client library's default (`localhost:6379`). May hold a password: do not log it.
   */
  readonly redisUrl?: string;
  /**
   * `KEY_PREFIX`, default `khabar`. Prefix of every Redis key, so several deployments can share a
   * Redis. Letters, digits, `_`, `.` and `-`, at most 64 characters, starting with a letter or
   * digit; no `:`, `{` or `}` since Khabar adds its own separators and hash tags.
   */
  readonly keyPrefix: string;
  /**
   * `INGEST_TOKENS`, default none. Comma-separated bearer tokens accepted by the ingest (write)
   * API, each 16–256 visible ASCII characters without spaces or commas. Unset outside production:
   * one random token is generated (see {@link Config.generatedSecrets}). Unset in production: no
   * token, and the write API answers 503.
   */
  readonly ingestTokens: readonly string[];
  /** `NEWSROOM_TOKENS`, default none. Bearer tokens of the newsroom API; same rules as `INGEST_TOKENS`. */
  readonly newsroomTokens: readonly string[];
  /**
   * `CORS_ORIGINS`, default `*`. Origins allowed to call the HTTP API and open a socket: `*` for
   * any, or comma-separated origins, each exactly `scheme://host[:port]` (http or https).
   */
  readonly corsOrigins: '*' | readonly string[];
  /** `RECENT_LIMIT`, default `100`. Posts kept per channel in the "recent posts" list (10–1000). */
  readonly recentLimit: number;
  /** `HISTORY_LIMIT`, default `1000`. Events kept per channel for replay to reconnecting clients (10–100000). */
  readonly historyLimit: number;
  /**
   * `DEFAULT_LOCALE`, default `en`. Locale of relative times ("5 minutes ago") when a client asks
   * for none; a BCP 47 tag supported by `Intl.RelativeTimeFormat`, stored in canonical form.
   */
  readonly defaultLocale: string;
  /** `WORKER_CONCURRENCY`, default `16`. Jobs a worker process runs at the same time (1–1000). */
  readonly workerConcurrency: number;
  /**
   * `ALLOW_PRIVATE_FEEDS`, default `false`. Whether feeds may be fetched from private, loopback and
   * link-local addresses; `true`/`false`/`1`/`0`. Leave off in production (server-side request forgery).
   */
  readonly allowPrivateFeeds: boolean;
  /** `LOG_LEVEL`, default `info`. One of fatal, error, warn, info, debug, trace, silent. */
  readonly logLevel: LogLevel;
  /** `METRICS_TOKEN`, default unset. Bearer token required by the metrics endpoint; unset leaves it open. */
  readonly metricsToken?: string;
  /** `INGEST_RATE_LIMIT`, default `600`. Requests per minute per ingest token (0–1000000); 0 turns the limit off. */
  readonly ingestRateLimit: number;
  /**
   * `SLOW_CLIENT_BUFFER_BYTES`, default `1048576` (1 MiB). A socket whose outgoing buffer grows past
   * this many bytes is disconnected (65536–67108864).
   */
  readonly slowClientBufferBytes: number;
  /**
   * `WORKER_LOCK_MS`, default `30000`. How long a worker holds a job's lock between renewals
   * (1000–600000); a killed worker's jobs go to another worker about this long after it died.
   */
  readonly workerLockMs: number;
  /**
   * `CANARY_INTERVAL_MS`, default `30000`. How often each worker process checks, with a canary
   * job, that the queue is really being consumed (500–3600000).
   */
  readonly canaryIntervalMs: number;
  /** `NODE_ENV`, default `development`. Free text; `production` switches the token rule. */
  readonly nodeEnv: string;
  /** `NODE_ENV === 'production'`. */
  readonly production: boolean;
  /** Token variables that were unset and got a random value generated at start-up (never in production). */
  readonly generatedSecrets: readonly GeneratedSecret[];
}

/** Every problem with the environment, one line each; `message` joins them with newlines. */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** What is wrong with a value, e.g. `"abc" is not a port number; use an integer from 0 to 65535`. */
class Invalid {
  constructor(readonly reason: string) {}
}

type Parser<T> = (raw: string) => T | Invalid;

const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/** The value quoted as JSON (so a newline in it cannot break the one-line rule), shortened if long. */
function quote(raw: string): string {
  return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw);
}

function integer(min: number, max: number, noun: string): Parser<number> {
  return (raw) => {
    const value = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
    return value >= min && value <= max
      ? value
      : new Invalid(`${quote(raw)} is not ${noun}; use an integer from ${min} to ${max}`);
  };
}

const boolean: Parser<boolean> = (raw) => {
  switch (raw.toLowerCase()) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
    default:
      return new Invalid(`${quote(raw)} is not a boolean; use true, false, 1 or 0`);
  }
};

const host: Parser<string> = (raw) =>
  /\s/.test(raw)
    ? new Invalid(`${quote(raw)} is not a host name or address; use one without whitespace`)
    : raw;

const redisUrl: Parser<string> = (raw) => {
  const use = 'use a redis:// or rediss:// URL';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return new Invalid(`the value (not shown: it may hold a password) is not a URL; ${use}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return new Invalid(`the URL's scheme is ${quote(url.protocol.slice(0, -1))}; ${use}`);
  }
  if (url.hostname === '') return new Invalid(`the URL has no host; ${use}`);
  return raw;
};

const keyPrefix: Parser<string> = (raw) =>
  /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(raw)
    ? raw
    : new Invalid(
        `${quote(raw)} is not a key prefix; use 1 to 64 letters, digits, "_", "." or "-", ` +
          'starting with a letter or digit (no ":", "{" or "}")',
      );

/** A token is 16–256 visible ASCII characters (0x21–0x7e) other than the comma. */
function tokenProblem(token: string): string | undefined {
  if (token.length < 16) return 'is too short';
  if (token.length > 256) return 'is too long';
  if (!/^[\x21-\x2b\x2d-\x7e]+$/.test(token)) {
    return 'contains a space or a character that is not visible ASCII';
  }
  return undefined;
}

const TOKEN_RULE = '16 to 256 visible ASCII characters without spaces or commas';

/** Comma-separated tokens. Never repeats a token: only its position and what is wrong with it. */
const tokenList: Parser<readonly string[]> = (raw) => {
  const tokens = raw
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
  if (tokens.length === 0) {
    return new Invalid(
      `lists no token; give one or more tokens of ${TOKEN_RULE}, separated by commas`,
    );
  }
  const problems = tokens.flatMap((token, index) => {
    const problem = tokenProblem(token);
    return problem === undefined ? [] : [`token ${index + 1} of ${tokens.length} ${problem}`];
  });
  return problems.length === 0
    ? Object.freeze(tokens)
    : new Invalid(`${problems.join(', ')}; each token must be ${TOKEN_RULE}`);
};

const singleToken: Parser<string> = (raw) => {
  const token = raw.trim();
  const problem = tokenProblem(token);
  return problem === undefined ? token : new Invalid(`the token ${problem}; use ${TOKEN_RULE}`);
};

/** `url` when it is exactly an http(s) origin; otherwise a hint saying what was wrong. */
function originProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${quote(url)} is not a URL`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `${quote(url)} is not http or https`;
  }
  return parsed.origin === url
    ? undefined
    : `${quote(url)} is not an origin (did you mean ${parsed.origin}?)`;
}

const corsOrigins: Parser<'*' | readonly string[]> = (raw) => {
  const use = 'use * or comma-separated origins of the form scheme://host[:port]';
  if (raw.trim() === '*') return '*';
  const origins = raw
    .split(',')
    .map((origin) => origin.trim().replace(/\/$/, ''))
    .filter((origin) => origin !== '');
  if (origins.length === 0) return new Invalid(`${quote(raw)} lists no origin; ${use}`);
  const problems = origins.flatMap((origin) => {
    if (origin === '*') return ['"*" cannot be mixed with origins'];
    const problem = originProblem(origin);
    return problem === undefined ? [] : [problem];
  });
  return problems.length === 0
    ? Object.freeze(origins)
    : new Invalid(`${problems.join(', ')}; ${use}`);
};

const locale: Parser<string> = (raw) => {
  let canonical: string | undefined;
  try {
    [canonical] = Intl.getCanonicalLocales(raw);
  } catch {
    canonical = undefined;
  }
  if (canonical === undefined) {
    return new Invalid(`${quote(raw)} is not a language tag; use a BCP 47 tag`);
  }
  return Intl.RelativeTimeFormat.supportedLocalesOf(canonical).length === 1
    ? canonical
    : new Invalid(
        `${quote(raw)} is not a supported locale; use one Intl.RelativeTimeFormat supports`,
      );
};

const logLevel: Parser<LogLevel> = (raw) =>
  LOG_LEVELS.find((level) => level === raw.toLowerCase()) ??
  new Invalid(`${quote(raw)} is not a log level; use one of ${LOG_LEVELS.join(', ')}`);

/** Example of a good token value, whichever token variable it is for. */
const TOKEN_EXAMPLE = '$(openssl rand -hex 24)';

/**
 * Reads and validates every variable of `env` (normally `process.env`). Throws a
 * {@link ConfigError} listing every problem; otherwise returns a deeply frozen {@link Config}.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];

  /** The parsed value of `name`; `undefined` when unset (or empty) or invalid, recording the problem. */
  function read<T>(name: string, parse: Parser<T>, example: string): T | undefined {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined; // empty counts as unset
    const value = parse(raw);
    if (value instanceof Invalid) {
      problems.push(`${name}: ${value.reason}, such as ${name}=${example}`);
      return undefined;
    }
    return value;
  }

  const nodeEnv = read('NODE_ENV', (raw) => raw, 'production') ?? 'development';
  const production = nodeEnv === 'production';
  const generatedSecrets: GeneratedSecret[] = [];

  /** Unset tokens: none in production, one random token otherwise. */
  function tokens(name: GeneratedSecret): readonly string[] {
    const value = read(name, tokenList, TOKEN_EXAMPLE);
    if (value !== undefined) return value;
    // Set but invalid (the problem is recorded and loadConfig throws), or unset in production.
    if (production || (env[name] ?? '') !== '') return Object.freeze([]);
    generatedSecrets.push(name);
    return Object.freeze([randomBytes(24).toString('base64url')]);
  }

  const config: Config = {
    port: read('PORT', integer(0, 65535, 'a port number'), '3000') ?? 3000,
    host: read('HOST', host, '0.0.0.0') ?? '127.0.0.1',
    redisUrl: read('REDIS_URL', redisUrl, 'redis://localhost:6379'),
    keyPrefix: read('KEY_PREFIX', keyPrefix, 'khabar-staging') ?? 'khabar',
    ingestTokens: tokens('INGEST_TOKENS'),
    newsroomTokens: tokens('NEWSROOM_TOKENS'),
    corsOrigins:
      read('CORS_ORIGINS', corsOrigins, 'https://news.example.com,http://localhost:5173') ?? '*',
    recentLimit:
      read('RECENT_LIMIT', integer(10, 1000, 'a valid number of recent posts'), '100') ?? 100,
    historyLimit:
      read('HISTORY_LIMIT', integer(10, 100_000, 'a valid number of history events'), '1000') ??
      1000,
    defaultLocale: read('DEFAULT_LOCALE', locale, 'en') ?? 'en',
    workerConcurrency:
      read('WORKER_CONCURRENCY', integer(1, 1000, 'a valid number of concurrent jobs'), '16') ?? 16,
    allowPrivateFeeds: read('ALLOW_PRIVATE_FEEDS', boolean, 'false') ?? false,
    logLevel: read('LOG_LEVEL', logLevel, 'info') ?? 'info',
    metricsToken: read('METRICS_TOKEN', singleToken, TOKEN_EXAMPLE),
    ingestRateLimit:
      read(
        'INGEST_RATE_LIMIT',
        integer(0, 1_000_000, 'a valid number of requests per minute'),
        '600',
      ) ?? 600,
    slowClientBufferBytes:
      read(
        'SLOW_CLIENT_BUFFER_BYTES',
        integer(65_536, 67_108_864, 'a valid buffer size in bytes'),
        '1048576',
      ) ?? 1_048_576,
    workerLockMs:
      read('WORKER_LOCK_MS', integer(1000, 600_000, 'a valid lock time in ms'), '30000') ?? 30_000,
    canaryIntervalMs:
      read('CANARY_INTERVAL_MS', integer(500, 3_600_000, 'a valid interval in ms'), '30000') ??
      30_000,
    nodeEnv,
    production,
    generatedSecrets: Object.freeze(generatedSecrets),
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/**
 * {@link loadConfig} for a process's entry point: on a {@link ConfigError}, writes
 * `khabar: invalid configuration:` and each problem on its own line to stderr, then exits with
 * status 1. Any other error is rethrown.
 */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(
      `khabar: invalid configuration:\n${error.problems.map((p) => `  ${p}\n`).join('')}`,
    );
    process.exit(1);
  }
}
