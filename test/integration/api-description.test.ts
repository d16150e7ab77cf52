import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import asyncApiSpecs from '@asyncapi/specs';
import { compileErrors, validate as validateOpenApi } from '@readme/openapi-parser';
import { io as connectClient, type Socket } from 'socket.io-client';
import type { PostsAnswer, SourceView } from '../../shared/contract/http.js';
import type { PostEvent } from '../../shared/contract/protocol.js';
import { normalizeArticle } from '../../shared/domain/article/normalize.js';
import { createIngestQueue } from '../../shared/domain/ingest-queue.js';
import { createWebSubStore } from '../../shared/domain/websub.js';
import { openApiPath } from '../../server/http/openapi/openapi-document.js';
import { startFeedServer } from '../helpers/feed-server.js';
import {
  answer,
  eventually,
  nextEvent,
  startKhabar,
  subscribe,
  type HttpAnswer,
  type TestKhabar,
} from '../helpers/khabar.js';
import { readSse } from '../helpers/sse-reader.js';

// ajv-formats is CommonJS with `exports.default`: under NodeNext its default import is the module.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const NEWSROOM_TOKEN = 'test-newsroom-token-0123456789';
const METRICS_TOKEN = 'test-metrics-token-0123456789';

type Json = Record<string, unknown>;

interface ResponseObject {
  description: string;
  content?: Record<string, { schema: Json }>;
}

interface Operation {
  security: Record<string, string[]>[];
  responses: Record<string, ResponseObject>;
  requestBody?: { content: Record<string, { schema: Json }> };
}

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: RouterLayer[] };
}

/** Every `METHOD path` an Express router has, the routers it mounts at `/` included. */
function registeredRoutes(stack: readonly RouterLayer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const { path, methods } = layer.route;
      return Object.keys(methods)
        .filter((method) => method !== '_all')
        .map((method) => `${method} ${path}`);
    }
    return layer.handle?.stack ? registeredRoutes(layer.handle.stack) : [];
  });
}

/** `text/html; charset=utf-8` → `text/html`. */
const mediaTypeOf = (header: string | null): string => (header ?? '').split(';')[0]?.trim() ?? '';

describe('API description (GET /api/openapi.json, GET /api/asyncapi.json)', function () {
  this.timeout(60_000);
  let khabar: TestKhabar;
  let openApi: OpenApiDocument;
  let asyncApi: Json;
  const openApiChecker = new Ajv2020({ allErrors: true, strict: false });
  addFormats(openApiChecker);
  // AsyncAPI 3.0's JSON schema and its default payload format are draft-07.
  const asyncApiChecker = new Ajv({ allErrors: true, strict: false });
  addFormats(asyncApiChecker);
  /** `method path status` of every live answer checked against the document. */
  const checked = new Set<string>();

  before(async () => {
    khabar = await startKhabar({
      env: {
        ALLOW_PRIVATE_FEEDS: 'true',
        NEWSROOM_TOKENS: NEWSROOM_TOKEN,
        METRICS_TOKEN,
      },
      timings: { newsroomIntervalMs: 200 },
    });
    const openApiAnswer = await khabar.request('GET', '/api/openapi.json', { token: null });
    assert.equal(openApiAnswer.status, 200);
    openApi = openApiAnswer.body as OpenApiDocument;
    asyncApi = (await khabar.request('GET', '/api/asyncapi.json', { token: null })).body as Json;
  });
  after(async () => {
    await khabar.close();
  });

  function operationOf(method: string, path: string): Operation {
    const operation = openApi.paths[openApiPath(path)]?.[method.toLowerCase()];
    assert.ok(operation, `${method} ${path} is not in the OpenAPI document`);
    return operation;
  }

  function schemaCheck(schema: Json): ValidateFunction {
    return openApiChecker.compile(schema);
  }

  /** Asserts a live answer is one the document gives for the route: status, media type, body. */
  function check(method: string, path: string, got: HttpAnswer): void {
    const operation = operationOf(method, path);
    const documented = operation.responses[String(got.status)];
    assert.ok(
      documented,
      `${method} ${path} answered ${got.status}, which the document does not list: ${JSON.stringify(got.body)}`,
    );
    const mediaType = mediaTypeOf(got.headers.get('content-type'));
    if (!documented.content) {
      assert.equal(got.body, undefined, `${method} ${path} ${got.status} should have no body`);
    } else {
      const content = documented.content[mediaType];
      assert.ok(content, `${method} ${path} ${got.status} answered ${mediaType}, not documented`);
      if (mediaType === 'application/json') {
        const valid = schemaCheck(content.schema);
        assert.ok(
          valid(got.body),
          `${method} ${path} ${got.status}: ${openApiChecker.errorsText(valid.errors)}\n${JSON.stringify(got.body).slice(0, 500)}`,
        );
      }
    }
    checked.add(`${method.toLowerCase()} ${path} ${got.status}`);
  }

  /** Sends a request and checks its answer; returns it for the test's own assertions. */
  async function call(
    method: string,
    route: string,
    init: { path?: string; token?: string | null; body?: unknown; contentType?: string } = {},
  ): Promise<HttpAnswer> {
    const got = await khabar.request(method, init.path ?? route, {
      token: init.token,
      contentType: init.contentType,
      body:
        init.body === undefined
          ? undefined
          : typeof init.body === 'string'
            ? init.body
            : JSON.stringify(init.body),
    });
    check(method, route, got);
    return got;
  }

  function asyncApiMessage(channel: string, key: string): ValidateFunction {
    const channels = asyncApi.channels as Record<string, { messages: Record<string, Json> }>;
    const message = channels[channel]?.messages[key];
    assert.ok(message, `${channel}/${key} is not in the AsyncAPI document`);
    return asyncApiChecker.compile(message.payload as Json);
  }

  function assertPayload(channel: string, key: string, payload: unknown): void {
    const valid = asyncApiMessage(channel, key);
    assert.ok(
      valid(payload),
      `${channel}/${key}: ${asyncApiChecker.errorsText(valid.errors)}\n${JSON.stringify(payload).slice(0, 500)}`,
    );
  }

  it('is a valid OpenAPI 3.1 document', async () => {
    assert.equal(openApi.openapi, '3.1.0');
    const result = await validateOpenApi(structuredClone(openApi) as never);
    assert.ok(result.valid, result.valid ? '' : compileErrors(result));
  });

  it('is a valid AsyncAPI 3.0.0 document', () => {
    const valid = asyncApiChecker.compile(asyncApiSpecs.schemasWithoutId['3.0.0']);
    assert.ok(valid(asyncApi), asyncApiChecker.errorsText(valid.errors));
  });

  it('describes every route the server has, and nothing it has not', () => {
    const registered = registeredRoutes(
      (khabar.node.app.httpApp.router as { stack: RouterLayer[] }).stack,
    ).map((route) => {
      const [method = '', path = ''] = route.split(' ');
      return `${method} ${openApiPath(path)}`;
    });
    const described = Object.entries(openApi.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path}`),
    );
    assert.deepEqual([...new Set(registered)].sort(), [...described].sort());
  });

  it('has a schema checker that rejects a wrong answer', () => {
    const valid = schemaCheck(
      operationOf('GET', '/api/posts').responses['200']!.content!['application/json']!.schema,
    );
    const post = {
      id: 'p0123456789012345678901',
      url: 'https://example.com/a',
      title: 'A',
      channels: ['top'],
      publishedAt: '2024-06-19T10:00:00.000Z',
      ago: '1 min ago',
    };
    const answerWith = (posts: unknown[]) => ({
      channel: 'top',
      serverTime: '2024-06-19T10:01:00.000Z',
      cursor: '1-1',
      posts,
    });
    assert.ok(valid(answerWith([post])), openApiChecker.errorsText(valid.errors));
    const { id: _id, ...withoutId } = post;
    assert.equal(valid(answerWith([withoutId])), false, 'a post without id passed');
    assert.equal(valid(answerWith([{ ...post, extra: 1 }])), false, 'an unknown field passed');
    assert.equal(valid({ ...answerWith([]), channel: 'Top!' }), false, 'a bad channel passed');
  });

  it('documents as valid articles that normalizeArticle accepts', () => {
    const body = operationOf('POST', '/api/articles').requestBody!.content['application/json']!;
    const valid = schemaCheck(body.schema);
    const article = {
      url: 'https://example.com/news/1',
      title: 'Monsoon reaches Kerala',
      id: 'guid-1',
      summary: 'Rain.',
      channels: ['top', 'bihar'],
      author: 'Priya Sharma',
      publishedAt: '2024-06-19T10:00:00+05:30',
      imageUrl: 'https://example.com/1.jpg',
      lang: 'hi',
    };
    for (const sample of [article, { articles: [article, { url: article.url, title: 'B' }] }]) {
      assert.ok(valid(sample), openApiChecker.errorsText(valid.errors));
    }
    assert.equal(normalizeArticle(article, Date.now()).ok, true);
    assert.equal(valid({ title: 'no url' }), false);
    assert.equal(normalizeArticle({ title: 'no url' }, Date.now()).ok, false);
  });

  it('answers every route as documented, with its happy path and its errors', async () => {
    // Articles, posts, channels, the embed fragment.
    check('POST', '/api/articles', await khabar.postArticles({ title: 'x' }, { token: null }));
    check('POST', '/api/articles', await khabar.postArticles({ title: 'no url' }));
    await call('POST', '/api/articles', { body: 'not json', contentType: 'text/plain' });
    const posted = await call('POST', '/api/articles', {
      body: {
        articles: [
          { url: 'https://example.com/api-doc/1', title: 'One', channels: ['bihar'] },
          { title: 'rejected' },
        ],
      },
    });
    assert.equal(posted.status, 202);
    const postId = (posted.body as { accepted: { id: string }[] }).accepted[0]!.id;
    await eventually(async () => {
      const { body } = await khabar.request('GET', '/api/posts?channel=bihar');
      return (body as PostsAnswer).posts.length === 1 ? true : undefined;
    });
    await call('GET', '/api/posts', { path: '/api/posts?channel=bihar&locale=hi', token: null });
    await call('GET', '/api/posts', { path: '/api/posts?limit=0', token: null });
    await call('GET', '/api/channels', { token: null });
    await call('GET', '/embed/:channel', { path: '/embed/bihar?limit=5', token: null });
    await call('GET', '/embed/:channel', { path: '/embed/Not_A_Channel', token: null });
    const embedded = await fetch(`${khabar.url}/embed/bihar`);
    const etag = embedded.headers.get('etag') ?? '';
    check(
      'GET',
      '/embed/:channel',
      await answer(
        await fetch(`${khabar.url}/embed/bihar`, { headers: { 'if-none-match': etag } }),
      ),
    );

    // Retraction.
    await call('DELETE', '/api/articles/:id', { path: `/api/articles/${postId}`, token: null });
    await call('DELETE', '/api/articles/:id', {
      path: `/api/articles/${postId}`,
      token: NEWSROOM_TOKEN,
    });
    await call('DELETE', '/api/articles/:id', { path: `/api/articles/${postId}` });
    await call('DELETE', '/api/articles/:id', { path: '/api/articles/%E0%A4' });

    // Sources, polled from a feed on loopback.
    const feed = await startFeedServer([
      {
        guid: 'f-1',
        title: 'From the feed',
        link: 'https://example.com/feed/1',
        pubDate: new Date().toUTCString(),
      },
    ]);
    try {
      await call('POST', '/api/sources', { body: { url: 'ftp://example.com/feed' } });
      await call('POST', '/api/sources', { body: { url: feed.url }, token: 'wrong' });
      const created = await call('POST', '/api/sources', {
        body: { url: feed.url, channels: ['bihar'], intervalSeconds: 60 },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      await call('POST', '/api/sources', { body: { url: feed.url } });
      const { id } = created.body as SourceView;
      await eventually(async () => {
        const { body } = await khabar.request('GET', `/api/sources/${id}`);
        return (body as SourceView).lastPoll ? true : undefined;
      }, 10_000);
      await call('GET', '/api/sources', { token: NEWSROOM_TOKEN });
      await call('GET', '/api/sources', { token: null });
      await call('GET', '/api/sources/:id', { path: `/api/sources/${id}` });
      await call('GET', '/api/sources/:id', { path: '/api/sources/s0000000000000000' });
      await call('POST', '/api/sources/:id/poll', { path: `/api/sources/${id}/poll` });
      await call('POST', '/api/sources/:id/poll', { path: '/api/sources/nope/poll' });
      await call('DELETE', '/api/sources/:id', { path: `/api/sources/${id}` });
      await call('DELETE', '/api/sources/:id', { path: `/api/sources/${id}` });
    } finally {
      await feed.close();
    }

    // Failed jobs: an article the worker cannot store fails for good.
    const queue = createIngestQueue(khabar.redis, khabar.keys);
    try {
      const job = await queue.add('article', {
        article: { id: 'p0000000000000000000000', url: 'x', title: '', channels: [] },
        acceptedAt: Date.now(),
        source: 'api',
      });
      await eventually(async () => ((await job.isFailed()) ? true : undefined), 10_000);
      await call('GET', '/api/jobs', { token: NEWSROOM_TOKEN });
      await call('GET', '/api/jobs', { path: '/api/jobs?state=waiting' });
      await call('POST', '/api/jobs/:id/retry', { path: `/api/jobs/${job.id ?? ''}/retry` });
      await call('POST', '/api/jobs/:id/retry', { path: '/api/jobs/999999/retry' });
      await eventually(async () => ((await job.isFailed()) ? true : undefined), 10_000);
      await call('DELETE', '/api/jobs/:id', { path: `/api/jobs/${job.id ?? ''}` });
      await call('DELETE', '/api/jobs/:id', { path: `/api/jobs/${job.id ?? ''}` });
    } finally {
      await queue.close();
    }
    await call('GET', '/api/queues', { token: NEWSROOM_TOKEN });
    await call('GET', '/api/queues', { token: null });

    // Operations.
    await call('GET', '/healthz', { token: null });
    await call('GET', '/readyz', { token: null });
    await call('GET', '/metrics', { token: METRICS_TOKEN });
    await call('GET', '/metrics', { token: null });
    await call('GET', '/api/openapi.json', { token: null });
    await call('GET', '/api/asyncapi.json', { token: null });

    // The demo publisher: one sample a second per address.
    await call('POST', '/api/demo/sample', { token: null });
    await call('POST', '/api/demo/sample', { token: null });

    // WebSub: hubs only ever get 2xx or a plain 404, but a path Express cannot decode is a 400.
    const subscription = 'a'.repeat(32);
    const verify = `/websub/${subscription}?hub.mode=unsubscribe&hub.topic=https://example.com/t&hub.challenge=c`;
    await call('GET', '/websub/:id', { path: verify, token: null });
    // One Khabar asked for: the hub confirms the unsubscription it was sent.
    await createWebSubStore(khabar.redis, khabar.keys).save(
      {
        id: subscription,
        sourceId: 's0000000000000000',
        hub: 'https://hub.example.com/',
        topic: 'https://example.com/t',
        secret: 'secret',
        mode: 'unsubscribe',
        state: 'active',
      },
      60_000,
    );
    const confirmed = await call('GET', '/websub/:id', { path: verify, token: null });
    assert.deepEqual([confirmed.status, confirmed.body], [200, 'c']);
    await call('GET', '/websub/:id', { path: '/websub/%E0%A4', token: null });
    await call('POST', '/websub/:id', {
      path: `/websub/${subscription}`,
      body: '<rss/>',
      contentType: 'application/rss+xml',
      token: null,
    });
    await call('POST', '/websub/:id', { path: '/websub/%E0%A4', body: '', token: null });

    // The pages.
    for (const page of ['/', '/demo.js', '/page.css', '/dashboard', '/dashboard.js', '/widget.js'])
      await call('GET', page, { token: null });

    // The stream: its documented media type, and a 400.
    const stream = await readSse(`${khabar.url}/api/stream?channel=bihar`);
    try {
      check('GET', '/api/stream', {
        status: stream.status,
        headers: new Headers({ 'content-type': String(stream.headers['content-type']) }),
        body: undefined,
      });
    } finally {
      stream.close();
    }
    await call('GET', '/api/stream', { path: '/api/stream?channel=Bad!', token: null });

    // Every route got an answer checked, and every route that documents a 4xx got one.
    for (const [path, operations] of Object.entries(openApi.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const statuses = [...checked]
          .filter((key) => {
            const [m, p] = key.split(' ');
            return m === method && openApiPath(p ?? '') === path;
          })
          .map((key) => Number(key.split(' ')[2]));
        assert.ok(
          statuses.some((s) => s < 400),
          `${method} ${path}: no successful answer checked`,
        );
        const clientErrors = Object.keys(operation.responses).filter((s) => s.startsWith('4'));
        if (clientErrors.length > 0) {
          assert.ok(
            statuses.some((s) => s >= 400),
            `${method} ${path}: no error answer checked (documents ${clientErrors.join(', ')})`,
          );
        }
      }
    }
  });

  it('guards the routes its security says, and no others', () => {
    for (const [path, operations] of Object.entries(openApi.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const tokenRefused = '401' in operation.responses;
        assert.equal(
          operation.security.length > 0,
          tokenRefused,
          `${method} ${path}: security and a 401 go together`,
        );
      }
    }
  });

  it('sends Socket.IO and stream events as the AsyncAPI document describes them', async () => {
    const socket = await khabar.connect();
    const ack = await subscribe(socket, { channel: 'delhi', locale: 'hi' });
    assertPayload('public', 'subscribeAck', ack);
    const refused = await subscribe(socket, { channel: 'Not a channel' });
    assert.equal(refused.ok, false);
    assertPayload('public', 'subscribeAck', refused);
    assertPayload('public', 'subscribe', { channel: 'delhi', limit: 5 });
    assert.equal(asyncApiMessage('public', 'subscribe')({ limit: 5 }), false);

    const auth = { subscribe: [{ channel: 'delhi', locale: 'hi' }, { channel: 'Not a channel' }] };
    const channels = asyncApi.channels as Record<string, Json>;
    const handshakeAuth = asyncApiChecker.compile(channels.public?.['x-handshake-auth'] as Json);
    const [valid] = auth.subscribe;
    assert.ok(
      handshakeAuth({ subscribe: [valid] }),
      asyncApiChecker.errorsText(handshakeAuth.errors),
    );
    assert.equal(handshakeAuth(auth), false);
    assert.equal(handshakeAuth({ subscribe: 'delhi' }), false);
    const handshaken: Socket = connectClient(khabar.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth,
    });
    const answers: unknown[] = [];
    handshaken.on('subscribed', (answer: unknown) => answers.push(answer));
    try {
      await eventually(() => (answers.length === 2 ? true : undefined));
      for (const answer of answers) assertPayload('public', 'subscribed', answer);
    } finally {
      handshaken.disconnect();
    }

    const dashboard: Socket = connectClient(`${khabar.url}/newsroom`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { token: NEWSROOM_TOKEN },
    });
    const accepted = new Promise<unknown>((resolve) => dashboard.once('ingest:accepted', resolve));
    const stats = new Promise<unknown>((resolve) => dashboard.once('queue:stats', resolve));
    const presence = new Promise<unknown>((resolve) => dashboard.once('presence', resolve));
    await new Promise<void>((resolve, reject) => {
      dashboard.once('connect', resolve);
      dashboard.once('connect_error', reject);
    });
    const stream = await readSse(`${khabar.url}/api/stream?channel=delhi`);
    try {
      const snapshot = await stream.next((frame) => frame.event === 'snapshot');
      assertPayload('stream', 'snapshot', JSON.parse(snapshot.data ?? ''));

      const pushed = nextEvent(socket, 'post:new');
      const posted = await khabar.postArticles({
        url: 'https://example.com/api-doc/socket',
        title: 'Pushed',
        channels: ['delhi'],
      });
      assert.equal(posted.status, 202);
      const event: PostEvent = await pushed;
      assertPayload('public', 'postNew', event);
      const { id: _id, ...withoutId } = event.post;
      assert.equal(asyncApiMessage('public', 'postNew')({ ...event, post: withoutId }), false);
      const streamed = await stream.next((frame) => frame.event === 'post:new');
      assertPayload('stream', 'postNew', JSON.parse(streamed.data ?? ''));
      assertPayload('newsroom', 'ingestAccepted', await accepted);
      assertPayload('newsroom', 'queueStats', await stats);
      assertPayload('newsroom', 'presence', await presence);
    } finally {
      stream.close();
      dashboard.disconnect();
    }
  });
});
