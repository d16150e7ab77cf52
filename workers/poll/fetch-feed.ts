/**
 * Fetches one feed politely and safely: conditional GET, a clear User-Agent, at most a few
 * requests per publisher host at once, a size cap on the decompressed body, a total deadline,
 * manual redirects with every hop re-vetted, and no connection to an address the policy refuses.
 */
import { Agent, buildConnector, fetch, type Response } from 'undici';
import {
  BlockedAddressError,
  createGuardedLookup,
  literalAddress,
  parseFeedUrl,
  publicOnlyPolicy,
  type AddressPolicy,
} from '../../shared/domain/address-guard.js';
import type { PollErrorCode } from '../../shared/infra/errors.js';
import { createHostLimiter, type HostLimiter } from './host-limit.js';

export const DEFAULT_USER_AGENT = 'Khabar/0.1 (+https://github.com/khabar; feed poller)';
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 20_000;
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 5;

const ACCEPT =
  'application/rss+xml, application/atom+xml, application/feed+json, ' +
  'application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.1';
const ACCEPT_ENCODING = 'gzip, deflate, br';
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface FetchFeedOptions {
  /** The `ETag` of the last successful fetch, sent as `If-None-Match`. */
  etag?: string;
  /** The `Last-Modified` of the last successful fetch, sent as `If-Modified-Since`. */
  lastModified?: string;
  /**
   * Which IP addresses may be connected to. Default: public addresses only. Use
   * `policyFromConfig(config)` in production, and pass long-lived functions: one connection pool
   * is kept per policy (and connect timeout).
   */
  policy?: AddressPolicy;
  /** Default {@link DEFAULT_USER_AGENT}. */
  userAgent?: string;
  /** Time allowed to open each TCP/TLS connection. Default 10 000. */
  connectTimeoutMs?: number;
  /**
   * Time allowed for the whole fetch — every redirect hop, headers and the complete body — counted
   * from when the first request may start (time queued behind other fetches of the same host
   * before that does not count). Default 20 000.
   */
  totalTimeoutMs?: number;
  /** Largest body accepted, counted after decompression. Default 5 MiB. */
  maxBytes?: number;
  /** Redirects followed before giving up. Default 5. */
  maxRedirects?: number;
  /** Limits requests per host; default a process-wide limiter with 2 per host. */
  hostLimiter?: HostLimiter;
}

interface ResultBase {
  etag?: string;
  lastModified?: string;
  /** The URL that gave the final answer, after redirects. */
  finalUrl: string;
  /** `Cache-Control: max-age` of the answer: the publisher asks not to poll more often than this. */
  minIntervalSeconds?: number;
}

export interface FetchOk extends ResultBase {
  status: 'ok';
  httpStatus: number;
  body: Uint8Array;
  contentType?: string;
}

export interface FetchNotModified extends ResultBase {
  status: 'not-modified';
  httpStatus: 304;
}

export type FetchResult = FetchOk | FetchNotModified;

/** The fetch stage's codes in shared/infra/errors.ts `POLL_ERRORS`. */
export type FetchErrorCode = PollErrorCode<'fetch'>;

/** Why a feed could not be fetched; `message` says what happened and what can be done. */
export class FetchError extends Error {
  readonly httpStatus?: number;
  /** From `Retry-After` on a 429 or 503: wait at least this long before the next try. */
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: FetchErrorCode,
    message: string,
    details: { httpStatus?: number; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'FetchError';
    if (details.httpStatus !== undefined) this.httpStatus = details.httpStatus;
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

// ---------------------------------------------------------------------------------------------
// Connection pools

/**
 * One undici Agent per (policy, connect timeout), reused across fetches. Its connector resolves
 * names through the guarded lookup, so the address connected to is the address vetted, and
 * refuses IP-literal hosts the policy refuses (Node skips `lookup` for literals).
 */
let agents = new WeakMap<AddressPolicy, Map<number, Agent>>();
const liveAgents = new Set<WeakRef<Agent>>();

function agentFor(policy: AddressPolicy, connectTimeoutMs: number): Agent {
  let byTimeout = agents.get(policy);
  if (!byTimeout) {
    byTimeout = new Map();
    agents.set(policy, byTimeout);
  }
  let agent = byTimeout.get(connectTimeoutMs);
  if (!agent) {
    const connectGuarded = buildConnector({
      timeout: connectTimeoutMs,
      lookup: createGuardedLookup(policy),
    });
    agent = new Agent({
      connect: (options, callback) => {
        const literal = literalAddress(options.hostname);
        if (literal !== undefined && !policy(literal)) {
          callback(new BlockedAddressError(literal, literal), null);
          return;
        }
        connectGuarded(options, callback);
      },
    });
    byTimeout.set(connectTimeoutMs, agent);
    liveAgents.add(new WeakRef(agent));
  }
  return agent;
}

/** Closes the pooled connections of every fetch so far (shutdown, tests); later fetches reconnect. */
export async function closeFetchAgents(): Promise<void> {
  const open = [...liveAgents].flatMap((ref) => ref.deref() ?? []);
  liveAgents.clear();
  agents = new WeakMap();
  await Promise.all(open.map((agent) => agent.close()));
}

const defaultHostLimiter = createHostLimiter(2);

// ---------------------------------------------------------------------------------------------
// Header parsing

/** `Retry-After` as seconds from now: delay-seconds or an HTTP date (never negative). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/u.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** `max-age` of a `Cache-Control` header, in seconds. */
export function parseMaxAge(value: string | null): number | undefined {
  if (value === null) return undefined;
  for (const directive of value.split(',')) {
    const match = /^\s*max-age\s*=\s*"?(\d+)"?\s*$/iu.exec(directive);
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  return undefined;
}

function headerOrUndefined(response: Response, name: string): string | undefined {
  const value = response.headers.get(name);
  return value === null || value === '' ? undefined : value;
}

// ---------------------------------------------------------------------------------------------
// Fetching

function wholeNumber(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be a whole number of at least ${min}, not ${String(value)}`);
  }
  return value;
}

/** Parses and vets one hop's URL before anything is sent; literal IPs are judged here. */
function vetHop(input: string, base: string | undefined, policy: AddressPolicy): URL {
  let url: URL;
  try {
    url = parseFeedUrl(input, base);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new FetchError(
      'invalid_url',
      base === undefined
        ? message
        : `The feed at ${base} redirected to an unusable URL: ${message}`,
      { cause: error },
    );
  }
  const literal = literalAddress(url.hostname);
  if (literal !== undefined && !policy(literal)) {
    const blocked = new BlockedAddressError(literal, literal);
    throw new FetchError(
      'blocked_address',
      base === undefined
        ? blocked.message
        : `${base} redirected to ${url.href}. ${blocked.message}`,
      { cause: blocked },
    );
  }
  return url;
}

function findCause(error: unknown, test: (candidate: object) => boolean): object | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    if (test(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function codeOf(candidate: object): unknown {
  return (candidate as { code?: unknown }).code;
}

function describe(error: unknown): string {
  const cause = findCause(error, (candidate) => typeof codeOf(candidate) === 'string');
  if (cause instanceof Error) return `${String(codeOf(cause))}: ${cause.message}`;
  const root = findCause(error, (candidate) => !(candidate as { cause?: unknown }).cause);
  return root instanceof Error ? root.message : String(error);
}

function toFetchError(
  error: unknown,
  url: string,
  timedOut: boolean,
  totalTimeoutMs: number,
  connectTimeoutMs: number,
): FetchError {
  if (error instanceof FetchError) return error;
  if (timedOut) {
    return new FetchError(
      'timeout',
      `Gave up on ${url} after ${totalTimeoutMs} ms: the server did not send the whole feed in ` +
        'time. It may be overloaded or very slow; the next poll will try again.',
      { cause: error },
    );
  }
  const blocked = findCause(error, (candidate) => codeOf(candidate) === 'EBLOCKED');
  if (blocked) {
    return new FetchError(
      'blocked_address',
      blocked instanceof Error ? blocked.message : `Refusing to connect to ${url}.`,
      { cause: error },
    );
  }
  const timeout = findCause(error, (candidate) =>
    ['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'].includes(
      String(codeOf(candidate)),
    ),
  );
  if (timeout) {
    return new FetchError(
      'timeout',
      codeOf(timeout) === 'UND_ERR_CONNECT_TIMEOUT'
        ? `Could not connect to ${url} within ${connectTimeoutMs} ms: the server is down or unreachable.`
        : `${url} stopped answering before the feed was complete.`,
      { cause: error },
    );
  }
  return new FetchError(
    'network',
    `Could not fetch ${url} (${describe(error)}). Check that the address is right and the site is up.`,
    { cause: error },
  );
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/**
 * Reads a body, decompressed, refusing more than `maxBytes`: reading stops, and the connection
 * is dropped, as soon as the count passes the cap, so a compression bomb is never inflated
 * beyond it. Bounded by `maxBytes` and by the caller's deadline.
 */
async function readCapped(response: Response, url: string, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = (): FetchError =>
    new FetchError(
      'too_large',
      `The feed at ${url} is larger than ${maxBytes} bytes (after decompression); it was not read. ` +
        'Feeds this big are usually not feeds; ask the publisher to trim it.',
    );
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  const encoded = response.headers.get('content-encoding');
  if (encoded === null && Number.isFinite(declared) && declared > maxBytes) {
    await discard(response);
    throw tooLarge();
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = (await reader.read()) as ReadableStreamReadResult<Uint8Array>;
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      chunks.length = 0;
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

type Hop = { kind: 'done'; result: FetchResult } | { kind: 'redirect'; location: string };

interface HopContext {
  agent: Agent;
  headers: Record<string, string>;
  signal: AbortSignal;
  maxBytes: number;
  sent: { etag?: string; lastModified?: string };
}

function httpError(response: Response, url: string): FetchError {
  const { status, statusText } = response;
  const retryAfterSeconds =
    status === 429 || status === 503
      ? parseRetryAfter(response.headers.get('retry-after'))
      : undefined;
  const wait = retryAfterSeconds === undefined ? '' : ` It asks to wait ${retryAfterSeconds} s.`;
  const hint =
    status === 429
      ? ' The publisher is rate-limiting us: poll this feed less often.'
      : status === 404 || status === 410
        ? ' The feed may have moved or been removed: check its URL.'
        : status === 401 || status === 403
          ? ' The publisher refuses access to this feed.'
          : status >= 500
            ? ' The publisher has a server problem; the next poll will try again.'
            : '';
  return new FetchError(
    'http_error',
    `${url} answered HTTP ${status}${statusText ? ` ${statusText}` : ''}.${hint}${wait}`,
    retryAfterSeconds === undefined
      ? { httpStatus: status }
      : { httpStatus: status, retryAfterSeconds },
  );
}

async function fetchHop(url: URL, context: HopContext): Promise<Hop> {
  const response = await fetch(url, {
    dispatcher: context.agent,
    redirect: 'manual',
    headers: context.headers,
    signal: context.signal,
  });
  const { status } = response;
  if (REDIRECT_STATUSES.has(status)) {
    const location = response.headers.get('location');
    await discard(response);
    if (location === null || location === '') {
      throw new FetchError(
        'http_error',
        `${url.href} answered HTTP ${status} (a redirect) without saying where to: no Location header.`,
        { httpStatus: status },
      );
    }
    return { kind: 'redirect', location };
  }
  const common = {
    finalUrl: url.href,
    minIntervalSeconds: parseMaxAge(response.headers.get('cache-control')),
  };
  if (status === 304) {
    await discard(response);
    const result: FetchNotModified = {
      status: 'not-modified',
      httpStatus: 304,
      etag: headerOrUndefined(response, 'etag') ?? context.sent.etag,
      lastModified: headerOrUndefined(response, 'last-modified') ?? context.sent.lastModified,
      ...common,
    };
    return { kind: 'done', result: withoutUndefined(result) };
  }
  if (status < 200 || status > 299) {
    await discard(response);
    throw httpError(response, url.href);
  }
  const body = await readCapped(response, url.href, context.maxBytes);
  const result: FetchOk = {
    status: 'ok',
    httpStatus: status,
    body,
    contentType: headerOrUndefined(response, 'content-type'),
    etag: headerOrUndefined(response, 'etag'),
    lastModified: headerOrUndefined(response, 'last-modified'),
    ...common,
  };
  return { kind: 'done', result: withoutUndefined(result) };
}

/** Drops `undefined` optional fields, so results compare and serialise cleanly. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Fetches a feed. Resolves to the body (`ok`) or `not-modified`; every failure is a
 * {@link FetchError}. See {@link FetchFeedOptions} for the limits.
 */
export async function fetchFeed(url: string, options: FetchFeedOptions = {}): Promise<FetchResult> {
  const policy = options.policy ?? publicOnlyPolicy;
  const connectTimeoutMs = wholeNumber(
    'connectTimeoutMs',
    options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    1,
  );
  const totalTimeoutMs = wholeNumber(
    'totalTimeoutMs',
    options.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS,
    1,
  );
  const maxBytes = wholeNumber('maxBytes', options.maxBytes ?? DEFAULT_MAX_BYTES, 0);
  const maxRedirects = wholeNumber(
    'maxRedirects',
    options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
    0,
  );
  const limiter = options.hostLimiter ?? defaultHostLimiter;

  const headers: Record<string, string> = {
    'user-agent': options.userAgent ?? DEFAULT_USER_AGENT,
    accept: ACCEPT,
    'accept-encoding': ACCEPT_ENCODING,
  };
  const sent: HopContext['sent'] = {};
  if (options.etag !== undefined && options.etag !== '') {
    sent.etag = options.etag;
    headers['if-none-match'] = options.etag;
  }
  if (options.lastModified !== undefined && options.lastModified !== '') {
    sent.lastModified = options.lastModified;
    headers['if-modified-since'] = options.lastModified;
  }

  let current = vetHop(url, undefined, policy);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const startClock = (): void => {
    timer ??= setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timed out after ${totalTimeoutMs} ms`));
    }, totalTimeoutMs);
  };
  const context: HopContext = {
    agent: agentFor(policy, connectTimeoutMs),
    headers,
    signal: controller.signal,
    maxBytes,
    sent,
  };

  try {
    // One request per hop: the first plus at most `maxRedirects` redirects.
    for (let redirects = 0; ; redirects++) {
      const target = current;
      const hop = await limiter.run(
        target.hostname,
        () => {
          startClock();
          return fetchHop(target, context);
        },
        timer === undefined ? undefined : controller.signal,
      );
      if (hop.kind === 'done') return hop.result;
      if (redirects >= maxRedirects) {
        throw new FetchError(
          'too_many_redirects',
          `${url} redirected more than ${maxRedirects} times (the last hop, ${target.href}, ` +
            'redirects again); subscribe to the final URL of the feed instead.',
        );
      }
      current = vetHop(hop.location, target.href, policy);
    }
  } catch (error) {
    throw toFetchError(error, current.href, timedOut, totalTimeoutMs, connectTimeoutMs);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
