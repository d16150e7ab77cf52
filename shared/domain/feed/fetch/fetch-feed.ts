/**
 * Fetches one feed politely and safely: conditional GET, a clear User-Agent, at most a few
 * requests per publisher host at once, a size cap on the decompressed body, a total deadline,
 * manual redirects with every hop re-vetted, and no connection to an address the policy refuses.
 */
import { publicOnlyPolicy, type AddressPolicy } from '../../address-guard.js';
import { MAX_FEED_BYTES } from '../../websub.js';
import { createHostLimiter, type HostLimiter } from './host-limit.js';
import { FetchError, toFetchError } from './fetch-error.js';
import { agentFor } from './guarded-agent.js';
import { fetchHop, type FetchResult, type HopContext } from './response.js';
import { vetHop } from './vet-hop.js';

export const DEFAULT_USER_AGENT = 'Khabar/0.1 (+https://github.com/khabar; feed poller)';
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 20_000;
export const DEFAULT_MAX_BYTES = MAX_FEED_BYTES;
export const DEFAULT_MAX_REDIRECTS = 5;

const ACCEPT =
  'application/rss+xml, application/atom+xml, application/feed+json, ' +
  'application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.1';
const ACCEPT_ENCODING = 'gzip, deflate, br';

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

const defaultHostLimiter = createHostLimiter(2);

function wholeNumber(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be a whole number of at least ${min}, not ${String(value)}`);
  }
  return value;
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
