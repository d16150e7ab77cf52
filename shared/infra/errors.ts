/**
 * Every failure Khabar answers with, in one table (fastify's `lib/errors.js` is the model): a
 * stable `code` a client can branch on, the HTTP status, and the message a person can act on,
 * which may take parameters. HTTP answers (SPEC §5), Socket.IO `{ok: false}` answers and the
 * newsroom's refusal reasons all come from here: a route names a code and its parameters, never
 * a status or a sentence of its own. The codes a feed poll reports (a source's `lastPoll.error`)
 * are listed below in {@link POLL_ERRORS}.
 */
import type { ErrorAnswer } from '../contract/http.js';
import type { FieldProblem } from '../contract/protocol.js';

/** A problem with one field of a request: where (`articles[2].title`, `limit`) and what. */
export type ErrorDetail = FieldProblem;

/** One row of the table: the HTTP status and the message, built from the code's parameters. */
interface ErrorSpec {
  readonly status: number;
  readonly message: (params: never) => string;
}

/** `16384` → `16 KiB`, `1048576` → `1 MiB`. */
function size(bytes: number): string {
  return bytes >= 1 << 20 && bytes % (1 << 20) === 0
    ? `${bytes / (1 << 20)} MiB`
    : `${Math.round(bytes / 1024)} KiB`;
}

/** A validator's message as a sentence: it ends with a full stop (or the ? or ! it has). */
function sentence(text: string): string {
  return /[.?!]$/.test(text) ? text : `${text}.`;
}

/** The first problem as the message; `details` carries them all. */
function firstProblem({ details }: { details: readonly ErrorDetail[] }): string {
  const first = details[0]?.message;
  return first === undefined ? 'The request is not valid.' : sentence(first);
}

const BEARER = '"Authorization: Bearer <token>"';
const REBUILD = 'run "npm run build"';
const STORAGE_DOWN = 'Storage is unavailable; retry in a few seconds.';

/** What is wrong with the shape of a body (`invalid_body`). */
export type InvalidBody =
  /** Shorter or longer than its Content-Length. */
  | { problem: 'length' }
  /** Not the gzip, deflate or br data its Content-Encoding says. */
  | { problem: 'compression' }
  /** A bare JSON array where one article or `{"articles": [...]}` belongs; `max` per batch. */
  | { problem: 'bare_array'; max: number }
  | { problem: 'not_an_object'; got: string; max: number }
  | { problem: 'articles_not_array'; got: string; max: number }
  | { problem: 'articles_empty' };

/** Which limit a caller ran into (`rate_limited`). */
export type RateLimit =
  | { limit: 'token'; retryInSeconds: number }
  | { limit: 'demo'; retryInSeconds: number }
  | { limit: 'subscribe'; perSecond: number };

/** What was not found (`not_found`); ids are echoed cut short. */
export type NotFound = { route: string } | { post: string } | { job: string } | { source: string };

/** The variable that lists the tokens a route takes (`INGEST_TOKENS`, `NEWSROOM_TOKENS`). */
interface Tokens {
  variable: string;
}

/** Why a feed URL may not be added (`blocked_address`). */
export type BlockedAddress = { privateHost: string } | { invalidUrl: string };

function invalidBody(p: InvalidBody): string {
  const rule = (max: number): string =>
    `The body must be one article as a JSON object, or {"articles": [...]} with 1 to ${max} articles`;
  switch (p.problem) {
    case 'length':
      return 'The body is not as long as its Content-Length says: send it again whole.';
    case 'compression':
      return 'The body is not valid gzip, deflate or br data as its Content-Encoding says: send it whole, or uncompressed.';
    case 'bare_array':
      return `${rule(p.max)}: wrap a list of articles as {"articles": [...]}.`;
    case 'not_an_object':
      return `${rule(p.max)} (got ${p.got}).`;
    case 'articles_not_array':
      return `articles must be an array of 1 to ${p.max} article objects (got ${p.got}).`;
    case 'articles_empty':
      return 'articles must hold at least one article.';
  }
}

/** A batch none of whose articles is valid (`invalid_articles`). */
function invalidArticles({ rejected }: { rejected: number }): string {
  const which =
    rejected === 1
      ? 'The article in the batch is not valid'
      : `None of the ${rejected} articles is valid`;
  return `${which}: fix the fields listed in details.`;
}

function rateLimited(p: RateLimit): string {
  switch (p.limit) {
    case 'token':
      return `Too many requests for this token; retry in ${p.retryInSeconds} s.`;
    case 'demo':
      return `Sample articles are limited to one per second; retry in ${p.retryInSeconds} s.`;
    case 'subscribe':
      return `Subscribe at most ${p.perSecond} times a second per connection; retry shortly.`;
  }
}

function notFound(p: NotFound): string {
  if ('route' in p) return `There is no ${p.route}; see the API in README.md.`;
  if ('post' in p) return `There is no post with id "${p.post.slice(0, 40)}".`;
  if ('job' in p) return `There is no job "${p.job.slice(0, 64)}"; it may have been removed.`;
  return `There is no source with id "${p.source.slice(0, 40)}"; list them with GET /api/sources.`;
}

/**
 * The registry: code → status and message. Codes are part of the API (SPEC §5, §6): add one
 * when a client should act differently, never rename one.
 */
export const ERRORS = {
  // -- The request as the HTTP layer reads it -------------------------------------------------
  invalid_path: {
    status: 400,
    message: () => 'The path is not valid percent-encoded UTF-8: encode each byte of an id as %XX.',
  },
  invalid_json: {
    status: 400,
    message: () => 'The body is not valid JSON: check quotes, commas and brackets.',
  },
  invalid_body: { status: 400, message: invalidBody },
  payload_too_large: {
    status: 413,
    message: ({ limitBytes, articles }: { limitBytes: number; articles: boolean }) =>
      `The body is over ${size(limitBytes)}, the most this endpoint takes: ${articles ? 'send fewer articles per request' : 'send a smaller body'}.`,
  },
  unsupported_media_type: {
    status: 415,
    message: () => 'Send JSON with "Content-Type: application/json".',
  },
  unsupported_encoding: {
    status: 415,
    message: ({ encoding }: { encoding: string }) =>
      `Content-Encoding "${encoding}" is not supported: send the body as it is, or with gzip, deflate or br.`,
  },
  unsupported_charset: {
    status: 415,
    message: ({ charset }: { charset: string }) =>
      `The charset "${charset}" is not supported: send the JSON as UTF-8.`,
  },
  request_aborted: {
    status: 400,
    message: () => 'The request ended before its whole body arrived: send it again whole.',
  },
  /** Any other client error of the HTTP layer (its `status` is kept); its message is meant to be shown. */
  bad_request: {
    status: 400,
    message: ({ problem }: { problem: string }) =>
      `The request could not be read: ${sentence(problem)}`,
  },

  // -- Tokens and limits ------------------------------------------------------------------------
  unauthorized: {
    status: 401,
    message: (p: Tokens) => `Send a token from ${p.variable} as ${BEARER}.`,
  },
  forbidden: {
    status: 403,
    message: (p: Tokens) => `That token is not allowed here; check ${p.variable}.`,
  },
  write_api_disabled: {
    status: 503,
    message: (p: Tokens) => `This API is off: set ${p.variable} to enable it.`,
  },
  rate_limited: { status: 429, message: rateLimited },

  // -- What a request asks for -------------------------------------------------------------------
  invalid_query: { status: 400, message: firstProblem },
  invalid_source: { status: 400, message: firstProblem },
  invalid_article: {
    status: 400,
    message: () => 'The article is not valid: fix the fields listed in details.',
  },
  invalid_articles: { status: 400, message: invalidArticles },
  too_many_articles: {
    status: 400,
    message: ({ max, got }: { max: number; got: number }) =>
      `articles must hold at most ${max} articles (got ${got}); send the rest in further requests.`,
  },
  blocked_address: {
    status: 400,
    message: (p: BlockedAddress) =>
      'privateHost' in p
        ? `${p.privateHost} is, or resolves to, a private or reserved address; Khabar only polls public feeds (set ALLOW_PRIVATE_FEEDS=true for local tests).`
        : sentence(p.invalidUrl),
  },
  page_unreachable: {
    status: 422,
    message: ({ page, reason }: { page: string; reason: string }) =>
      `Could not read ${page} to see whether it is a feed or a page naming one: ${sentence(reason)} Check the address, or give the feed's URL.`,
  },
  no_feed_found: {
    status: 422,
    message: ({ page, notHtml }: { page: string; notHtml?: string }) =>
      notHtml === undefined
        ? `The page at ${page} names no RSS, Atom or JSON feed (no <link rel="alternate" type="application/rss+xml"> or similar in its <head>): give the feed's URL instead.`
        : `The document at ${page} is neither a feed nor an HTML page (${notHtml}): give the feed's URL instead.`,
  },
  not_found: { status: 404, message: notFound },
  source_exists: {
    status: 409,
    message: ({ id }: { id: string }) =>
      `This feed is already a source (id ${id}); change it by deleting and adding it again.`,
  },
  not_failed: {
    status: 409,
    message: ({ job, state }: { job: string; state?: string }) =>
      state === undefined
        ? `Job ${job} is no longer failed; reload the list.`
        : `Job ${job} is ${state}, not failed: only failed jobs can be retried or dropped.`,
  },
  conflict: {
    status: 409,
    message: () => 'The post kept changing while being removed; retry.',
  },

  // -- Khabar's side ---------------------------------------------------------------------------
  redis_unavailable: {
    status: 503,
    message: () => STORAGE_DOWN,
  },
  replicas_unreached: {
    status: 503,
    message: ({ replicas }: { replicas: number }) =>
      `The article reached Redis but not ${replicas === 1 ? 'a replica' : `${replicas} replicas`} in time, so a failover could lose it: send it again in a few seconds (it will not be stored twice).`,
  },
  internal_error: {
    status: 500,
    message: ({ sampleArticle }: { sampleArticle?: boolean }) =>
      sampleArticle
        ? 'A sample article is not valid; please report it.'
        : 'Something went wrong on our side; please retry.',
  },
  demo_page_missing: {
    status: 503,
    message: ({ file }: { file: string }) =>
      `The demo page file ${file} is missing from the build; ${REBUILD}.`,
  },
  dashboard_page_missing: {
    status: 503,
    message: () => `The dashboard page is missing from the build; ${REBUILD}.`,
  },
  widget_not_built: {
    status: 503,
    message: () => `The widget bundle (dist/public/widget.js) has not been built; ${REBUILD}.`,
  },
  dashboard_not_built: {
    status: 503,
    message: () =>
      `The dashboard bundle (dist/public/dashboard.js) has not been built; ${REBUILD}.`,
  },

  // -- Socket.IO answers (`{ok: false, error, message}`); status as HTTP would say it ---------
  invalid_request: {
    status: 400,
    message: ({ problem }: { problem?: string }) =>
      problem === undefined ? 'The request is not valid.' : sentence(problem),
  },
  too_many_channels: {
    status: 400,
    message: ({ max }: { max: number }) =>
      `One connection may watch at most ${max} channels; unsubscribe from one first.`,
  },
  unavailable: {
    status: 503,
    message: ({ what }: { what: 'storage' | 'channel' }) =>
      what === 'storage' ? STORAGE_DOWN : 'The channel is being reloaded; retry in a moment.',
  },

  // -- Why the newsroom refused a handshake: `connect_error` `unauthorized`, `data.reason` -----
  no_token: { status: 401, message: () => 'Give a token from NEWSROOM_TOKENS.' },
  wrong_token: { status: 403, message: () => 'Give a token from NEWSROOM_TOKENS.' },
  origin_not_allowed: {
    status: 403,
    message: () => 'This page may not open the newsroom: add its origin to CORS_ORIGINS.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** The parameters of `code`'s message (an object), or `unknown` when it takes none. */
type MessageParams<C extends ErrorCode> =
  Parameters<(typeof ERRORS)[C]['message']> extends [infer P] ? P : unknown;

/** An argument list that may be left out when every field is optional. */
type ArgsOf<T> = object extends T ? [params?: T] : [params: T];

/** What {@link errorMessage} takes after the code. */
export type MessageArgs<C extends ErrorCode> = ArgsOf<MessageParams<C>>;

/** Beyond a message's own parameters, what an {@link AppError} may carry. */
export interface AppErrorOptions {
  /** One entry per problem, for the answer's `details`. */
  details?: ErrorDetail[];
  /** The field the message is about: `details` is then that one problem. */
  path?: string;
  /** For the log, never the client. */
  cause?: unknown;
  /** A 4xx other than the table's, when the HTTP layer chose it (`bad_request` only). */
  status?: number;
}

/** What {@link appError} takes after the code. */
export type AppErrorArgs<C extends ErrorCode> = ArgsOf<MessageParams<C> & AppErrorOptions>;

/** A failure with a stable code a client can branch on, an HTTP status and a message a person can act on. */
export class AppError extends Error {
  readonly status: number;
  readonly details?: ErrorDetail[];

  /** Only {@link appError} builds these, from the table. */
  private constructor(
    readonly code: ErrorCode,
    message: string,
    options: AppErrorOptions,
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.status = options.status ?? ERRORS[code].status;
    const details =
      options.path === undefined ? options.details : [{ path: options.path, message }];
    if (details !== undefined) this.details = details;
  }

  /** @internal {@link appError}'s way in. */
  static fromTable<C extends ErrorCode>(code: C, ...[params]: AppErrorArgs<C>): AppError {
    const options: AppErrorOptions = params ?? {};
    return new AppError(code, errorMessage(code, ...([params] as MessageArgs<C>)), options);
  }

  /** The JSON body of SPEC §5: never the cause, never a stack. */
  toJSON(): ErrorAnswer {
    return this.details?.length
      ? { error: this.code, message: this.message, details: this.details }
      : { error: this.code, message: this.message };
  }
}

/** `code`'s message, for answers that are not thrown (Socket.IO acks, a refused handshake). */
export function errorMessage<C extends ErrorCode>(code: C, ...[params]: MessageArgs<C>): string {
  const build = ERRORS[code].message as (params: unknown) => string;
  return build(params ?? {});
}

/**
 * The error for `code`, e.g. `throw appError('not_found', { job: id })`; with the answer's
 * `details`, a `cause` for the log, or (`bad_request`) the status the HTTP layer chose beside
 * the message's parameters.
 */
export function appError<C extends ErrorCode>(code: C, ...args: AppErrorArgs<C>): AppError {
  return AppError.fromTable(code, ...args);
}

/**
 * Why a feed poll failed, as the first word of a source's `lastPoll.error` (`timeout: Gave up
 * on …`); the rest is the message of the failure, which names the feed. Not HTTP answers: the
 * sources API reports them, it does not fail with them. `stage` is the step that raises it.
 */
export const POLL_ERRORS = {
  invalid_url: { stage: 'fetch', meaning: 'the URL, or one it redirected to, is not usable' },
  blocked_address: {
    stage: 'fetch',
    meaning: 'the host is, or resolves to, a private or reserved address',
  },
  timeout: { stage: 'fetch', meaning: 'the publisher did not answer, or not in time' },
  too_large: { stage: 'fetch', meaning: 'the feed is over the size Khabar reads' },
  too_many_redirects: { stage: 'fetch', meaning: 'the feed redirects too many times' },
  http_error: { stage: 'fetch', meaning: 'the publisher answered with an HTTP error' },
  network: { stage: 'fetch', meaning: 'the connection failed (DNS, refused, reset, TLS)' },
  not_a_feed: { stage: 'parse', meaning: 'the document is not RSS, Atom, RDF or JSON Feed' },
  malformed: { stage: 'parse', meaning: 'the feed is too broken to read, or lost its items' },
  internal: { stage: 'poll', meaning: "a bug on Khabar's side; the message says where" },
} as const satisfies Record<string, { stage: 'fetch' | 'parse' | 'poll'; meaning: string }>;

/** The codes of {@link POLL_ERRORS} raised at `stage`. */
export type PollErrorCode<Stage extends string = string> = {
  [C in keyof typeof POLL_ERRORS]: (typeof POLL_ERRORS)[C]['stage'] extends Stage ? C : never;
}[keyof typeof POLL_ERRORS];
