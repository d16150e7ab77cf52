/**
 * The AsyncAPI 3.0 document of the Socket.IO protocol (SPEC §6): the public namespace `/`
 * (subscribe and unsubscribe with their acks, the post events) and the newsroom namespace
 * `/newsroom` (every channel's post events and the dashboards' own), and `GET /api/stream`, the
 * same events as Server-Sent Events. Client requests are the schemas the namespace validates
 * with; everything Khabar sends is held to the contract types (protocol-schemas.ts).
 */
import { z } from 'zod';
import type { PublicAuth } from '../../../shared/contract/protocol.js';
import { subscribeRequest, unsubscribeRequest } from '../../realtime/public-namespace.js';
import { inStep } from './same-type.js';
import { jsonSchemaOf, type JsonSchema } from './json-schema.js';
import type { ApiInfo } from './openapi-document.js';
import { postsAnswer } from './answers.js';
import {
  ingestAccepted,
  ingestFailed,
  ingestRejected,
  newsroomAuth,
  postEvent,
  presence,
  queueStats,
  handshakeSubscribeAnswer,
  removedEvent,
  sourcePolled,
  subscribeAnswer,
  unsubscribeAnswer,
} from './protocol-schemas.js';

export interface AsyncApiOptions extends ApiInfo {
  /** `host:port` clients connect to: PUBLIC_URL's, else localhost and PORT. */
  host: string;
}

/** One message: its event name (Socket.IO's or SSE's `event:`), what it is, and its payload. */
interface MessageSpec {
  /** The event name on the wire. */
  name: string;
  summary: string;
  payload: z.ZodType;
  /** `input` for what a client sends, `output` for what Khabar sends. */
  io: 'input' | 'output';
}

// AsyncAPI 3.0's default payload format is its own schema format, a superset of draft-07.
const message = ({ name, summary, payload, io }: MessageSpec): JsonSchema => ({
  name,
  title: name,
  summary,
  contentType: 'application/json',
  payload: jsonSchemaOf(payload, { io, target: 'draft-7' }),
});

const POST_EVENTS = {
  postNew: {
    name: 'post:new',
    summary: 'A post was published in a channel watched.',
    payload: postEvent,
    io: 'output',
  },
  postUpdated: {
    name: 'post:updated',
    summary: 'A post of a channel watched changed.',
    payload: postEvent,
    io: 'output',
  },
  postRemoved: {
    name: 'post:removed',
    summary: 'A post of a channel watched was retracted.',
    payload: removedEvent,
    io: 'output',
  },
} as const satisfies Record<string, MessageSpec>;

const PUBLIC_REQUESTS = {
  subscribe: {
    name: 'subscribe',
    summary:
      'Watch a channel; with `since` (the last cursor seen), every event missed is replayed in the ack.',
    payload: subscribeRequest,
    io: 'input',
  },
  subscribeAck: {
    name: 'subscribe (ack)',
    summary: 'The ack of `subscribe`: the newest posts, or the events after `since`; or why not.',
    payload: subscribeAnswer,
    io: 'output',
  },
  subscribed: {
    name: 'subscribed',
    summary:
      "The answer to one subscribe of the handshake's `auth.subscribe`, as `subscribe`'s ack; a refusal names its channel when it can.",
    payload: handshakeSubscribeAnswer,
    io: 'output',
  },
  unsubscribe: {
    name: 'unsubscribe',
    summary: 'Stop watching a channel.',
    payload: unsubscribeRequest,
    io: 'input',
  },
  unsubscribeAck: {
    name: 'unsubscribe (ack)',
    summary: 'The ack of `unsubscribe`.',
    payload: unsubscribeAnswer,
    io: 'output',
  },
} as const satisfies Record<string, MessageSpec>;

/** What a public client may put in its handshake: `io(url, { auth: { subscribe: […] } })`. */
const publicAuth = z.object({
  subscribe: z.array(subscribeRequest).max(50).optional().meta({
    description:
      'Subscribes made with the connection, each answered by a `subscribed` event: one round trip sooner than emitting `subscribe`. A value that is not a list of at most 50 fails the connection with `connect_error` "invalid_request" and `data: { message }`.',
  }),
});
inStep<z.input<typeof publicAuth>, PublicAuth>();

const NEWSROOM_EVENTS = {
  ingestAccepted: {
    name: 'ingest:accepted',
    summary: 'An article the API queued.',
    payload: ingestAccepted,
    io: 'output',
  },
  ingestRejected: {
    name: 'ingest:rejected',
    summary: 'An article the API refused as invalid, with every problem found.',
    payload: ingestRejected,
    io: 'output',
  },
  ingestFailed: {
    name: 'ingest:failed',
    summary: 'An ingest job that threw; `final` when it will not be retried by itself.',
    payload: ingestFailed,
    io: 'output',
  },
  sourcePolled: {
    name: 'source:polled',
    summary: 'How one feed poll went.',
    payload: sourcePolled,
    io: 'output',
  },
  queueStats: {
    name: 'queue:stats',
    summary: 'Where one queue stands; every 5 s, one per queue.',
    payload: queueStats,
    io: 'output',
  },
  presence: {
    name: 'presence',
    summary: 'Viewers per channel over every server node; every 5 s.',
    payload: presence,
    io: 'output',
  },
} as const satisfies Record<string, MessageSpec>;

const STREAM_SNAPSHOT = {
  snapshot: {
    name: 'snapshot',
    summary: "The channel's newest posts, first on a stream that does not resume.",
    payload: postsAnswer,
    io: 'output',
  },
} as const satisfies Record<string, MessageSpec>;

const messagesOf = (specs: Record<string, MessageSpec>): Record<string, JsonSchema> =>
  Object.fromEntries(Object.entries(specs).map(([key, spec]) => [key, message(spec)]));

const refs = (channel: string, keys: readonly string[]): { $ref: string }[] =>
  keys.map((key) => ({ $ref: `#/channels/${channel}/messages/${key}` }));

/** An operation Khabar carries out: `send` (it pushes) or `receive` (a client asks). */
function operation(
  action: 'send' | 'receive',
  channel: string,
  keys: readonly string[],
  summary: string,
  replyKey?: string,
): JsonSchema {
  return {
    action,
    channel: { $ref: `#/channels/${channel}` },
    summary,
    messages: refs(channel, keys),
    ...(replyKey === undefined
      ? {}
      : {
          reply: {
            channel: { $ref: `#/channels/${channel}` },
            messages: refs(channel, [replyKey]),
          },
        }),
  };
}

const postEventKeys = Object.keys(POST_EVENTS);

export function buildAsyncApiDocument(options: AsyncApiOptions): JsonSchema {
  return {
    asyncapi: '3.0.0',
    info: {
      title: `${options.title}: Socket.IO and event stream`,
      version: options.version,
      description:
        "Khabar's push side (SPEC §6). Socket.IO 4 (engine.io 6, path `/socket.io/`, WebSocket or HTTP long-polling): each message's `name` is the Socket.IO event, its payload the event's one argument; requests are answered by the event's ack. The HTTP API is /api/openapi.json.",
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    servers: {
      socketio: {
        host: options.host,
        protocol: 'ws',
        pathname: '/socket.io/',
        description: 'Socket.IO 4; connect with socket.io-client, e.g. `io("http://host")`.',
      },
      http: {
        host: options.host,
        protocol: 'http',
        description: 'GET /api/stream (text/event-stream).',
      },
    },
    channels: {
      public: {
        address: '/',
        title: 'Public namespace',
        description:
          'Anyone may connect. A socket watches the channels it subscribes to (each in the locale asked), by `subscribe` or in its handshake (`x-handshake-auth`), and gets their post events.',
        servers: [{ $ref: '#/servers/socketio' }],
        messages: messagesOf({ ...PUBLIC_REQUESTS, ...POST_EVENTS }),
        'x-handshake-auth': jsonSchemaOf(publicAuth, { io: 'input', target: 'draft-7' }),
      },
      newsroom: {
        address: '/newsroom',
        title: 'Newsroom namespace',
        description:
          'The dashboards: the handshake must carry `auth` as described by `x-handshake-auth` (a token of NEWSROOM_TOKENS), from an origin CORS_ORIGINS allows, else the connection fails with `connect_error` "unauthorized" and `data: { reason: "no_token" | "wrong_token" | "origin_not_allowed", message }`. Every channel\'s post events come, and the dashboards\' own. Clients only listen.',
        servers: [{ $ref: '#/servers/socketio' }],
        messages: messagesOf({ ...POST_EVENTS, ...NEWSROOM_EVENTS }),
        'x-handshake-auth': jsonSchemaOf(newsroomAuth, { io: 'input', target: 'draft-7' }),
      },
      stream: {
        address: '/api/stream',
        title: 'Server-Sent Events',
        description:
          "GET /api/stream?channel=…&locale=…: a `snapshot` (or, with Last-Event-ID or `lastEventId`, every event missed), then the post events; each event's `id` is its cursor, and `: ping` comments keep the stream open. Each payload is one line of JSON in `data:`.",
        servers: [{ $ref: '#/servers/http' }],
        messages: messagesOf({ ...STREAM_SNAPSHOT, ...POST_EVENTS }),
      },
    },
    operations: {
      subscribe: operation(
        'receive',
        'public',
        ['subscribe'],
        'A client subscribes to a channel.',
        'subscribeAck',
      ),
      subscribedInHandshake: operation(
        'send',
        'public',
        ['subscribed'],
        "Khabar answers each subscribe of a connection's handshake.",
      ),
      unsubscribe: operation(
        'receive',
        'public',
        ['unsubscribe'],
        'A client unsubscribes from a channel.',
        'unsubscribeAck',
      ),
      pushPosts: operation(
        'send',
        'public',
        postEventKeys,
        "Khabar pushes each change of a watched channel, once, in the channel's order.",
      ),
      pushNewsroom: operation(
        'send',
        'newsroom',
        [...postEventKeys, ...Object.keys(NEWSROOM_EVENTS)],
        "Khabar pushes every channel's changes and what happens to articles, sources and queues.",
      ),
      streamPosts: operation(
        'send',
        'stream',
        ['snapshot', ...postEventKeys],
        'Khabar streams a channel as Server-Sent Events.',
      ),
    },
  };
}
