/**
 * Every HTTP route the server mounts (server/app.ts), once, with what it takes and what it answers:
 * the table the OpenAPI document is built from and the API test walks. Request schemas are the
 * ones the routes validate with; answer schemas are held to the contract types (answers.ts);
 * error statuses come from the registry of errors, so a route names codes, never statuses.
 */
import { z } from 'zod';
import type { ErrorCode } from '../../../shared/infra/errors.js';
import { POST_ID_PATTERN } from '../../../shared/domain/article/post-id.js';
import { SOURCE_ID_PATTERN } from '../../../shared/domain/sources.js';
import { SUBSCRIPTION_ID_PATTERN } from '../../../shared/domain/websub.js';
import { embedRequest } from '../embed.js';
import { JOB_ID, jobsQuery } from '../jobs.js';
import { postsQuery } from '../posts.js';
import { minIntervalSeconds, sourceBody } from '../sources.js';
import { streamQuery } from '../../realtime/sse.js';
import { articlesRequest } from './article-input.js';
import {
  articlesAccepted,
  channelsAnswer,
  demoSampleAccepted,
  failedJobsAnswer,
  healthAnswer,
  jobRetried,
  pollQueued,
  postsAnswer,
  queueHistoryAnswer,
  readyAnswer,
  sourcesAnswer,
  sourceView,
} from './answers.js';

/** Who may call a route: SPEC §5's tokens, each sent as `Authorization: Bearer <token>`. */
export type Caller =
  /** Anyone. */
  | 'public'
  /** A token of INGEST_TOKENS. */
  | 'ingest'
  /** A token of INGEST_TOKENS or of NEWSROOM_TOKENS (what editors do from the dashboard). */
  | 'editor'
  /** METRICS_TOKEN, when it is set; anyone otherwise. */
  | 'metrics';

export type HttpMethod = 'get' | 'post' | 'delete';

/** One successful answer: JSON with a schema, another media type, or no body. */
export interface RouteAnswer {
  status: number;
  description: string;
  /** The JSON body's schema; absent for an answer without a JSON body. */
  json?: z.ZodType;
  /** The media type of a body that is not JSON (`text/html`, `text/event-stream`). */
  mediaType?: string;
}

export interface RouteDescription {
  method: HttpMethod;
  /** As Express writes it: `/api/sources/:id`. */
  path: string;
  summary: string;
  description?: string;
  tag: 'articles' | 'reading' | 'sources' | 'newsroom' | 'operations' | 'websub' | 'pages';
  caller: Caller;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** A JSON body. */
  body?: z.ZodType;
  answers: RouteAnswer[];
  /** Every code of the registry of errors the route may answer with (as `ErrorAnswer` JSON). */
  errors: ErrorCode[];
}

/** What depends on the node's configuration. */
export interface RouteTableOptions {
  /** In production there is no demo publisher. */
  production: boolean;
  /** ALLOW_PRIVATE_FEEDS: the shortest poll interval a source may ask for. */
  allowPrivateFeeds: boolean;
}

// What any guarded route may answer before it runs.
const TOKEN_ERRORS: ErrorCode[] = ['unauthorized', 'forbidden', 'write_api_disabled'];
const GUARD_ERRORS: ErrorCode[] = [...TOKEN_ERRORS, 'rate_limited'];
// What reading a JSON body may fail with, before the route sees it.
const BODY_ERRORS: ErrorCode[] = [
  'invalid_json',
  'invalid_body',
  'request_aborted',
  'bad_request',
  'payload_too_large',
  'unsupported_media_type',
  'unsupported_encoding',
  'unsupported_charset',
];
// Every route that reads Redis.
const SERVER_ERRORS: ErrorCode[] = ['redis_unavailable', 'internal_error'];

const idParam = (pattern: RegExp, description: string) =>
  z.object({ id: z.string().regex(pattern).meta({ description }) });

const apiDocument = z.looseObject({}).meta({ description: 'The JSON document.' });

const staticFile = (
  path: string,
  summary: string,
  mediaType: string,
  missing: ErrorCode,
): RouteDescription => ({
  method: 'get',
  path,
  summary,
  tag: 'pages',
  caller: 'public',
  answers: [{ status: 200, description: summary, mediaType }],
  errors: [missing, 'internal_error'],
});

/** The route table, for a node configured as `options` says. */
export function describeRoutes(options: RouteTableOptions): RouteDescription[] {
  const routes: RouteDescription[] = [
    {
      method: 'post',
      path: '/api/articles',
      summary: 'Publish one article, or a batch of 1–100',
      description:
        'Each article is checked apart: the valid ones are queued (202) and the others listed in `rejected`; when none is valid, 400. A 202 waits until the jobs reached REDIS_MIN_REPLICAS replicas.',
      tag: 'articles',
      caller: 'ingest',
      body: articlesRequest,
      answers: [{ status: 202, description: 'Queued.', json: articlesAccepted }],
      errors: [
        ...GUARD_ERRORS,
        ...BODY_ERRORS,
        'invalid_article',
        'invalid_articles',
        'too_many_articles',
        'replicas_unreached',
        ...SERVER_ERRORS,
      ],
    },
    {
      method: 'delete',
      path: '/api/articles/:id',
      summary: 'Retract a post from every channel it is in',
      tag: 'articles',
      caller: 'editor',
      params: idParam(POST_ID_PATTERN, 'The post id.'),
      answers: [{ status: 204, description: 'Removed; subscribers get `post:removed`.' }],
      errors: [...GUARD_ERRORS, 'invalid_path', 'not_found', 'conflict', ...SERVER_ERRORS],
    },
    {
      method: 'get',
      path: '/api/posts',
      summary: "A channel's newest posts",
      tag: 'reading',
      caller: 'public',
      query: postsQuery,
      answers: [{ status: 200, description: 'Newest first.', json: postsAnswer }],
      errors: ['invalid_query', ...SERVER_ERRORS],
    },
    {
      method: 'get',
      path: '/api/channels',
      summary: 'Every channel with posts, its size and viewers',
      tag: 'reading',
      caller: 'public',
      answers: [{ status: 200, description: 'One row per channel.', json: channelsAnswer }],
      errors: SERVER_ERRORS,
    },
    {
      method: 'get',
      path: '/api/stream',
      summary: 'A channel as Server-Sent Events',
      description:
        'First a `snapshot` event (or, resuming with Last-Event-ID, every event missed), then `post:new`, `post:updated` and `post:removed` as they happen, each with its cursor as the event id; `: ping` comments keep it open. The payloads are described by /api/asyncapi.json.',
      tag: 'reading',
      caller: 'public',
      query: streamQuery,
      answers: [{ status: 200, description: 'The stream.', mediaType: 'text/event-stream' }],
      errors: ['invalid_query', 'unavailable', ...SERVER_ERRORS],
    },
    {
      method: 'get',
      path: '/embed/:channel',
      summary: "A channel's newest posts as an HTML fragment to include in a page",
      tag: 'reading',
      caller: 'public',
      params: embedRequest.pick({ channel: true }),
      query: embedRequest.omit({ channel: true }),
      answers: [
        { status: 200, description: 'An `<ol class="khabar-embed">`.', mediaType: 'text/html' },
        { status: 304, description: 'Unchanged since the ETag given in If-None-Match.' },
      ],
      errors: ['invalid_path', 'invalid_query', ...SERVER_ERRORS],
    },
    {
      method: 'post',
      path: '/api/sources',
      summary: 'Add a feed to poll (RSS, Atom, RDF, JSON Feed), or a page that names one',
      tag: 'sources',
      caller: 'ingest',
      body: sourceBody(minIntervalSeconds(options.allowPrivateFeeds)),
      answers: [{ status: 201, description: 'Added; polled at once.', json: sourceView }],
      errors: [
        ...GUARD_ERRORS,
        ...BODY_ERRORS,
        'invalid_source',
        'blocked_address',
        'page_unreachable',
        'no_feed_found',
        'source_exists',
        ...SERVER_ERRORS,
      ],
    },
    {
      method: 'get',
      path: '/api/sources',
      summary: 'Every source with how its polls go',
      tag: 'sources',
      caller: 'editor',
      answers: [{ status: 200, description: 'The sources.', json: sourcesAnswer }],
      errors: [...GUARD_ERRORS, ...SERVER_ERRORS],
    },
    {
      method: 'get',
      path: '/api/sources/:id',
      summary: 'One source',
      tag: 'sources',
      caller: 'editor',
      params: idParam(SOURCE_ID_PATTERN, 'The source id.'),
      answers: [{ status: 200, description: 'The source.', json: sourceView }],
      errors: [...GUARD_ERRORS, 'invalid_path', 'not_found', ...SERVER_ERRORS],
    },
    {
      method: 'delete',
      path: '/api/sources/:id',
      summary: 'Stop polling a source',
      tag: 'sources',
      caller: 'ingest',
      params: idParam(SOURCE_ID_PATTERN, 'The source id.'),
      answers: [{ status: 204, description: 'Deleted.' }],
      errors: [...GUARD_ERRORS, 'invalid_path', 'not_found', ...SERVER_ERRORS],
    },
    {
      method: 'post',
      path: '/api/sources/:id/poll',
      summary: 'Poll a source now',
      tag: 'sources',
      caller: 'ingest',
      params: idParam(SOURCE_ID_PATTERN, 'The source id.'),
      answers: [{ status: 202, description: 'The poll is queued.', json: pollQueued }],
      errors: [...GUARD_ERRORS, 'invalid_path', 'not_found', ...SERVER_ERRORS],
    },
    {
      method: 'get',
      path: '/api/jobs',
      summary: 'Failed ingest jobs, newest first',
      tag: 'newsroom',
      caller: 'editor',
      query: jobsQuery,
      answers: [{ status: 200, description: 'The failed jobs.', json: failedJobsAnswer }],
      errors: [...GUARD_ERRORS, 'invalid_query', ...SERVER_ERRORS],
    },
    {
      method: 'post',
      path: '/api/jobs/:id/retry',
      summary: 'Run a failed job again',
      tag: 'newsroom',
      caller: 'editor',
      params: idParam(JOB_ID, 'The job id.'),
      answers: [{ status: 202, description: 'The job waits to run.', json: jobRetried }],
      errors: [...GUARD_ERRORS, 'invalid_path', 'not_found', 'not_failed', ...SERVER_ERRORS],
    },
    {
      method: 'delete',
      path: '/api/jobs/:id',
      summary: 'Drop a failed job',
      tag: 'newsroom',
      caller: 'editor',
      params: idParam(JOB_ID, 'The job id.'),
      answers: [{ status: 204, description: 'Dropped.' }],
      errors: [...GUARD_ERRORS, 'invalid_path', 'not_found', 'not_failed', ...SERVER_ERRORS],
    },
    {
      method: 'get',
      path: '/api/queues',
      summary: "Each queue's figures over the last five minutes, oldest first",
      tag: 'newsroom',
      caller: 'editor',
      answers: [{ status: 200, description: 'The history.', json: queueHistoryAnswer }],
      errors: [...GUARD_ERRORS, ...SERVER_ERRORS],
    },
    {
      method: 'get',
      path: '/healthz',
      summary: 'Whether the process answers',
      tag: 'operations',
      caller: 'public',
      answers: [{ status: 200, description: 'Alive.', json: healthAnswer }],
      errors: ['internal_error'],
    },
    {
      method: 'get',
      path: '/readyz',
      summary: 'Whether Redis answers too',
      tag: 'operations',
      caller: 'public',
      answers: [{ status: 200, description: 'Ready to serve.', json: readyAnswer }],
      errors: SERVER_ERRORS,
    },
    {
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics',
      tag: 'operations',
      caller: 'metrics',
      answers: [
        {
          status: 200,
          description: 'The text exposition format.',
          mediaType: 'text/plain',
        },
      ],
      errors: ['unauthorized', ...SERVER_ERRORS],
    },
    {
      method: 'get',
      path: '/api/openapi.json',
      summary: 'This document: the HTTP API as OpenAPI 3.1',
      tag: 'operations',
      caller: 'public',
      answers: [{ status: 200, description: 'OpenAPI 3.1.', json: apiDocument }],
      errors: ['internal_error'],
    },
    {
      method: 'get',
      path: '/api/asyncapi.json',
      summary: 'The Socket.IO protocol and the event stream as AsyncAPI 3.0',
      tag: 'operations',
      caller: 'public',
      answers: [{ status: 200, description: 'AsyncAPI 3.0.0.', json: apiDocument }],
      errors: ['internal_error'],
    },
    {
      method: 'get',
      path: '/websub/:id',
      summary: "A WebSub hub's verification of intent",
      description:
        'Answers `hub.challenge` for a subscription Khabar asked for; 404 (text) for any other.',
      tag: 'websub',
      caller: 'public',
      params: idParam(SUBSCRIPTION_ID_PATTERN, 'The subscription id.'),
      query: z.object({
        'hub.mode': z.enum(['subscribe', 'unsubscribe', 'denied']),
        'hub.topic': z.string(),
        'hub.challenge': z.string().optional(),
        'hub.lease_seconds': z.string().optional(),
        'hub.reason': z.string().optional(),
      }),
      answers: [
        { status: 200, description: 'The challenge, echoed.', mediaType: 'text/plain' },
        {
          status: 404,
          description: 'Not a verification Khabar asked for.',
          mediaType: 'text/plain',
        },
      ],
      errors: ['invalid_path'],
    },
    {
      method: 'post',
      path: '/websub/:id',
      summary: "A WebSub hub's content distribution (the feed, signed)",
      description:
        "A hub retries on errors, so what is not accepted is still answered 202 and ignored; only a body over the feeds' size limit is refused (413, and the connection closed).",
      tag: 'websub',
      caller: 'public',
      params: idParam(SUBSCRIPTION_ID_PATTERN, 'The subscription id.'),
      answers: [
        { status: 202, description: 'Taken (or ignored).' },
        { status: 413, description: 'Too large; not read.' },
      ],
      errors: ['invalid_path'],
    },
    staticFile('/widget.js', 'The embeddable widget', 'text/javascript', 'widget_not_built'),
    staticFile('/', 'The demo page', 'text/html', 'demo_page_missing'),
    staticFile('/demo.js', "The demo page's script", 'text/javascript', 'demo_page_missing'),
    staticFile('/page.css', "The pages' shared styles", 'text/css', 'demo_page_missing'),
    staticFile('/dashboard', 'The newsroom dashboard', 'text/html', 'dashboard_page_missing'),
    staticFile('/dashboard.js', "The dashboard's script", 'text/javascript', 'dashboard_not_built'),
  ];
  if (!options.production) {
    routes.push({
      method: 'post',
      path: '/api/demo/sample',
      summary: "Queue the demo's next sample article (not in production)",
      tag: 'articles',
      caller: 'public',
      answers: [{ status: 202, description: 'Queued.', json: demoSampleAccepted }],
      errors: ['rate_limited', ...SERVER_ERRORS],
    });
  }
  return routes;
}
