import type { PollErrorCode } from '../../../infra/errors.js';
/**
 * Why a fetch failed, as one {@link FetchError} with a stable code whatever undici, the resolver or
 * the guard threw, and a message that says what happened and what can be done.
 */

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

/**
 * The {@link FetchError} for whatever a fetch threw: itself when it is one already; `timeout` when
 * the total deadline passed or undici gave up waiting; `blocked_address` when the guard refused the
 * address; `network` for anything else.
 */
export function toFetchError(
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
