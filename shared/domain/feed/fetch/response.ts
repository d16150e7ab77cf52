/**
 * One request of a fetch and what its answer means: a result (the feed, or not modified), a
 * redirect to follow, or an error with the publisher's hints (Retry-After, Cache-Control).
 */
import { fetch, type Agent, type Response } from 'undici';
import { withoutUndefined } from '../../../infra/without-undefined.js';
import { FetchError } from './fetch-error.js';
import { discard, readCapped } from './read-body.js';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

interface ResultBase {
  etag?: string;
  lastModified?: string;
  /** The URL that gave the final answer, after redirects. */
  finalUrl: string;
  /** `Cache-Control: max-age` of the answer: the publisher asks not to poll more often than this. */
  minIntervalSeconds?: number;
  /** The answer's `Link` header (several joined by commas), where WebSub hubs may be named. */
  link?: string;
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

/** What one hop ends in: the result, or the `Location` of a redirect. */
export type Hop = { kind: 'done'; result: FetchResult } | { kind: 'redirect'; location: string };

/** What every hop of one fetch shares. */
export interface HopContext {
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

/** Sends one request (redirects not followed) and reads its answer. */
export async function fetchHop(url: URL, context: HopContext): Promise<Hop> {
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
    link: headerOrUndefined(response, 'link'),
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
