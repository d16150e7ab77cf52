/**
 * Khabar's configuration. It comes only from environment variables, read and validated once at
 * start-up: {@link loadConfig} checks every variable and reports every problem at once, one line
 * per variable, each naming the variable, what is wrong and an example of a good value.
 *
 * Every variable is one row of {@link OPTIONS}, as in Miniflux's internal/config/options.go: its
 * name, parser, default, example, meaning, and whether it is a secret. An empty variable counts as
 * unset. Secret values (`INGEST_TOKENS`, `NEWSROOM_TOKENS`, `METRICS_TOKEN`, and `REDIS_URL`,
 * which may hold a password) are never repeated in a problem: their parsers name only what is
 * wrong.
 */
import { randomBytes } from 'node:crypto';
import { parseRedisUrl, RedisUrlError } from './redis-url.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Token variables that get a random value outside production when unset. */
export type GeneratedSecret = 'INGEST_TOKENS' | 'NEWSROOM_TOKENS';

/**
 * Where Khabar looks for Redis when `REDIS_URL` is unset: the server and worker connect there, and
 * `npm start` uses it when it answers (else it starts a private `redis-server`).
 */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The validated configuration; each field is read from the variable of its row in {@link OPTIONS}. */
export interface Config {
  /** `PORT`: the TCP port of the HTTP and Socket.IO server. */
  readonly port: number;
  /** `HOST`: the address the server listens on. */
  readonly host: string;
  /** `REDIS_URL`; unset means {@link DEFAULT_REDIS_URL}. May hold a password: do not log it. */
  readonly redisUrl?: string;
  /**
   * `REDIS_MIN_REPLICAS`: replicas that must hold an article's job before the API answers 202;
   * unset, 1 for the Sentinel and Cluster forms of `REDIS_URL` and 0 for one server.
   */
  readonly redisMinReplicas?: number;
  /** `REDIS_REPLICA_WAIT_MS`: how long a write waits for those replicas before the API answers 503. */
  readonly redisReplicaWaitMs: number;
  /** `KEY_PREFIX`: the prefix of every Redis key. */
  readonly keyPrefix: string;
  /** `INGEST_TOKENS`: the bearer tokens of the ingest (write) API; none turns it off (503). */
  readonly ingestTokens: readonly string[];
  /** `NEWSROOM_TOKENS`: the bearer tokens of the newsroom API; none turns it off. */
  readonly newsroomTokens: readonly string[];
  /** `CORS_ORIGINS`: `*`, or the origins allowed to call the API and open a socket. */
  readonly corsOrigins: '*' | readonly string[];
  /** `RECENT_LIMIT`: posts kept per channel in its recent list. */
  readonly recentLimit: number;
  /** `HISTORY_LIMIT`: events kept per channel for replay. */
  readonly historyLimit: number;
  /** `DEFAULT_LOCALE`: the locale of relative times when a client asks for none, canonical. */
  readonly defaultLocale: string;
  /** `WORKER_CONCURRENCY`: jobs a worker process runs at once. */
  readonly workerConcurrency: number;
  /** `ALLOW_PRIVATE_FEEDS`: whether feeds may be fetched from private addresses. */
  readonly allowPrivateFeeds: boolean;
  /**
   * `PUBLIC_URL`: the base URL at which WebSub hubs reach this service, without a trailing slash;
   * unset, feeds are polled only.
   */
  readonly publicUrl?: string;
  /** `LOG_LEVEL`. */
  readonly logLevel: LogLevel;
  /** `METRICS_TOKEN`: the bearer token of the metrics endpoint; unset leaves it open. */
  readonly metricsToken?: string;
  /** `INGEST_RATE_LIMIT`: requests per minute per ingest token; 0 turns the limit off. */
  readonly ingestRateLimit: number;
  /** `SLOW_CLIENT_BUFFER_BYTES`: a socket whose outgoing buffer grows past this is dropped. */
  readonly slowClientBufferBytes: number;
  /** `WORKER_LOCK_MS`: how long a worker holds a job's lock between renewals. */
  readonly workerLockMs: number;
  /** `CANARY_INTERVAL_MS`: how often each worker process checks that the queue is consumed. */
  readonly canaryIntervalMs: number;
  /** `NODE_ENV`: free text; `production` switches the token rule. */
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

/** Any of the three forms (one server, a Sentinel set, a Cluster); the message names them all. */
const redisUrl: Parser<string> = (raw) => {
  try {
    parseRedisUrl(raw);
    return raw;
  } catch (err) {
    if (err instanceof RedisUrlError) return new Invalid(err.message);
    throw err;
  }
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

/**
 * An absolute http(s) base URL that hubs can call back under: no credentials (they would be sent
 * to every hub), no query or fragment (callback paths are appended). A trailing slash is dropped.
 */
const publicUrl: Parser<string> = (raw) => {
  const use = 'use the http(s) address at which others reach this service';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return new Invalid(`${quote(raw)} is not a URL; ${use}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return new Invalid(`${quote(raw)} is not http or https; ${use}`);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    return new Invalid(`${quote(raw)} has credentials, a query or a fragment; ${use}`);
  }
  return url.href.replace(/\/+$/, '');
};

const logLevel: Parser<LogLevel> = (raw) =>
  LOG_LEVELS.find((level) => level === raw.toLowerCase()) ??
  new Invalid(`${quote(raw)} is not a log level; use one of ${LOG_LEVELS.join(', ')}`);

/** Example of a good token value, whichever token variable it is for. */
const TOKEN_EXAMPLE = '$(openssl rand -hex 24)';

/** One environment variable: how it is read, and what it means. */
interface Option<T> {
  /** The variable. */
  readonly name: string;
  /** Reads a set (non-empty) value, or says what is wrong with it. */
  readonly parse: Parser<T>;
  /** The value when the variable is unset or empty. */
  readonly default: T;
  /** A good value, shown in every problem as `NAME=example`. */
  readonly example: string;
  /** What the variable does (the README's table says the same). */
  readonly doc: string;
  /** Whether the value is a secret: its parser names what is wrong, never the value. */
  readonly secret: boolean;
  /**
   * Outside production, what an unset variable gets instead of `default`: a value generated at
   * each start, and the variable listed in {@link Config.generatedSecrets}.
   */
  readonly generate?: { readonly variable: GeneratedSecret; readonly value: () => T };
}

/** The fields read from one variable each; `production` and `generatedSecrets` follow from them. */
type Settings = Omit<Config, 'production' | 'generatedSecrets'>;

const NO_TOKENS: readonly string[] = Object.freeze([]);

/** A token list variable: none in production when unset, one random token otherwise. */
function tokensOption(variable: GeneratedSecret, doc: string): Option<readonly string[]> {
  return {
    name: variable,
    parse: tokenList,
    default: NO_TOKENS,
    example: TOKEN_EXAMPLE,
    doc,
    secret: true,
    generate: { variable, value: () => Object.freeze([randomBytes(24).toString('base64url')]) },
  };
}

/** Every variable Khabar reads, in the order its problems are reported. */
const OPTIONS: { readonly [K in keyof Settings]-?: Option<Settings[K]> } = {
  port: {
    name: 'PORT',
    parse: integer(0, 65535, 'a port number'),
    default: 3000,
    example: '3000',
    doc: 'TCP port the HTTP and Socket.IO server listens on (0–65535).',
    secret: false,
  },
  host: {
    name: 'HOST',
    parse: host,
    default: '127.0.0.1',
    example: '0.0.0.0',
    doc: 'Address the server listens on; 0.0.0.0 listens on all.',
    secret: false,
  },
  redisUrl: {
    name: 'REDIS_URL',
    parse: redisUrl,
    default: undefined,
    example: 'redis://localhost:6379',
    doc: `Where Redis is: redis://[user:pass@]host:port[/db] for one server, redis+sentinel://[user:pass@]host:port,host:port,…/<master name>[/db] for a Sentinel set (the sentinels' addresses), redis+cluster://[user:pass@]host:port,… for a Cluster (seed nodes); rediss… for TLS. Unset means ${DEFAULT_REDIS_URL}, where npm start starts a private redis-server when none answers.`,
    secret: true,
  },
  redisMinReplicas: {
    name: 'REDIS_MIN_REPLICAS',
    parse: integer(0, 16, 'a number of replicas'),
    default: undefined,
    example: '1',
    doc: "Replicas that must hold an article's job before POST /api/articles answers 202 (0–16), else 503 with Retry-After: Redis replicates asynchronously, so only what a replica holds survives a failover. Unset: 1 with redis+sentinel:// or redis+cluster://, 0 with redis://; set 1 for a redis:// URL that names a managed endpoint with replicas.",
    secret: false,
  },
  redisReplicaWaitMs: {
    name: 'REDIS_REPLICA_WAIT_MS',
    parse: integer(10, 1500, 'a wait in ms'),
    default: 500,
    example: '500',
    doc: 'How long POST /api/articles waits for REDIS_MIN_REPLICAS replicas (10–1500 ms, within the 2 s storage deadline of a request) before answering 503; a healthy replica acknowledges in about a millisecond.',
    secret: false,
  },
  keyPrefix: {
    name: 'KEY_PREFIX',
    parse: keyPrefix,
    default: 'khabar',
    example: 'khabar-staging',
    doc: 'Prefix of every Redis key, so several deployments can share a Redis: letters, digits, "_", "." and "-", at most 64 characters, starting with a letter or digit; no ":", "{" or "}", since Khabar adds its own separators and hash tags.',
    secret: false,
  },
  ingestTokens: tokensOption(
    'INGEST_TOKENS',
    'Comma-separated bearer tokens of the ingest (write) API, each 16–256 visible ASCII characters without spaces or commas. Unset outside production: one random token is generated; unset in production: no token, and the write API answers 503.',
  ),
  newsroomTokens: tokensOption(
    'NEWSROOM_TOKENS',
    'Bearer tokens of the newsroom API and namespace; same rules as INGEST_TOKENS.',
  ),
  corsOrigins: {
    name: 'CORS_ORIGINS',
    parse: corsOrigins,
    default: '*',
    example: 'https://news.example.com,http://localhost:5173',
    doc: 'Origins allowed to call the HTTP API and open a socket: * for any, or comma-separated origins, each exactly scheme://host[:port] (http or https).',
    secret: false,
  },
  recentLimit: {
    name: 'RECENT_LIMIT',
    parse: integer(10, 1000, 'a valid number of recent posts'),
    default: 100,
    example: '100',
    doc: 'Posts kept per channel in the "recent posts" list (10–1000).',
    secret: false,
  },
  historyLimit: {
    name: 'HISTORY_LIMIT',
    parse: integer(10, 100_000, 'a valid number of history events'),
    default: 1000,
    example: '1000',
    doc: 'Events kept per channel for replay to reconnecting clients (10–100000).',
    secret: false,
  },
  defaultLocale: {
    name: 'DEFAULT_LOCALE',
    parse: locale,
    default: 'en',
    example: 'en',
    doc: 'Locale of relative times ("5 minutes ago") when a client asks for none: a BCP 47 tag Intl.RelativeTimeFormat supports, stored in canonical form.',
    secret: false,
  },
  workerConcurrency: {
    name: 'WORKER_CONCURRENCY',
    parse: integer(1, 1000, 'a valid number of concurrent jobs'),
    default: 16,
    example: '16',
    doc: 'Jobs a worker process runs at the same time (1–1000).',
    secret: false,
  },
  allowPrivateFeeds: {
    name: 'ALLOW_PRIVATE_FEEDS',
    parse: boolean,
    default: false,
    example: 'false',
    doc: 'Whether feeds may be fetched from private, loopback and link-local addresses: true, false, 1 or 0. Leave off in production (server-side request forgery).',
    secret: false,
  },
  publicUrl: {
    name: 'PUBLIC_URL',
    parse: publicUrl,
    default: undefined,
    example: 'https://khabar.example.com',
    doc: 'The base URL at which others reach this service (http or https, no query). WebSub hubs call back under <PUBLIC_URL>/websub/, so feeds that name a hub are pushed at once (and still polled). Unset: feeds are polled only.',
    secret: false,
  },
  logLevel: {
    name: 'LOG_LEVEL',
    parse: logLevel,
    default: 'info',
    example: 'info',
    doc: `One of ${LOG_LEVELS.join(', ')}.`,
    secret: false,
  },
  metricsToken: {
    name: 'METRICS_TOKEN',
    parse: singleToken,
    default: undefined,
    example: TOKEN_EXAMPLE,
    doc: 'Bearer token required by the metrics endpoint; unset leaves it open.',
    secret: true,
  },
  ingestRateLimit: {
    name: 'INGEST_RATE_LIMIT',
    parse: integer(0, 1_000_000, 'a valid number of requests per minute'),
    default: 600,
    example: '600',
    doc: 'Requests per minute per ingest token (0–1000000); 0 turns the limit off.',
    secret: false,
  },
  slowClientBufferBytes: {
    name: 'SLOW_CLIENT_BUFFER_BYTES',
    parse: integer(65_536, 67_108_864, 'a valid buffer size in bytes'),
    default: 1_048_576,
    example: '1048576',
    doc: 'A socket whose outgoing buffer grows past this many bytes is disconnected (65536–67108864; default 1 MiB).',
    secret: false,
  },
  workerLockMs: {
    name: 'WORKER_LOCK_MS',
    parse: integer(1000, 600_000, 'a valid lock time in ms'),
    default: 30_000,
    example: '30000',
    doc: "How long a worker holds a job's lock between renewals (1000–600000); a killed worker's jobs go to another worker about this long after it died.",
    secret: false,
  },
  canaryIntervalMs: {
    name: 'CANARY_INTERVAL_MS',
    parse: integer(500, 3_600_000, 'a valid interval in ms'),
    default: 30_000,
    example: '30000',
    doc: 'How often each worker process checks, with a canary job, that the queue is really being consumed (500–3600000).',
    secret: false,
  },
  nodeEnv: {
    name: 'NODE_ENV',
    parse: (raw) => raw,
    default: 'development',
    example: 'production',
    doc: 'Free text; production switches the token rule (nothing generated).',
    secret: false,
  },
};

/**
 * Reads and validates every variable of `env` (normally `process.env`). Throws a
 * {@link ConfigError} listing every problem; otherwise returns a deeply frozen {@link Config}.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const generatedSecrets: GeneratedSecret[] = [];

  /** The value of `option`'s variable: its default when unset (or empty) or invalid, recording the problem. */
  function read<T>(option: Option<T>, production: boolean): T {
    const raw = env[option.name];
    if (raw === undefined || raw === '') {
      if (option.generate === undefined || production) return option.default;
      generatedSecrets.push(option.generate.variable);
      return option.generate.value();
    }
    const value = option.parse(raw);
    if (value instanceof Invalid) {
      problems.push(`${option.name}: ${value.reason}, such as ${option.name}=${option.example}`);
      return option.default;
    }
    return value;
  }

  // First, since it decides what an unset token variable gets.
  const nodeEnv = read(OPTIONS.nodeEnv, false);
  const production = nodeEnv === 'production';
  // Object.fromEntries forgets which key holds which type; OPTIONS' own type guarantees it.
  const settings = Object.fromEntries(
    Object.entries(OPTIONS).map(([key, option]: [string, Option<unknown>]) => [
      key,
      key === 'nodeEnv' ? nodeEnv : read(option, production),
    ]),
  ) as Settings;

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    ...settings,
    production,
    generatedSecrets: Object.freeze(generatedSecrets),
  });
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
    // One problem, one line (what a supervisor's log shows whole); several, one line each.
    const [only, ...more] = error.problems;
    process.stderr.write(
      more.length === 0
        ? `khabar: invalid configuration: ${only ?? ''}\n`
        : `khabar: invalid configuration:\n${error.problems.map((p) => `  ${p}\n`).join('')}`,
    );
    process.exit(1);
  }
}

/**
 * The replicas a 202 waits for: `REDIS_MIN_REPLICAS`, or by default 1 when `REDIS_URL` names a
 * Sentinel set or a Cluster (they have replicas by design) and 0 for one server.
 */
export function minReplicas(config: Config): number {
  if (config.redisMinReplicas !== undefined) return config.redisMinReplicas;
  const kind = parseRedisUrl(config.redisUrl ?? DEFAULT_REDIS_URL).kind;
  return kind === 'server' ? 0 : 1;
}
