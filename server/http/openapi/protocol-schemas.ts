/**
 * The Socket.IO contract (shared/contract/protocol.ts) as zod schemas, for the API descriptions
 * only: the routes and sockets never parse what they send. Each schema is checked against its
 * contract type by the compiler ({@link inStep}), so the description cannot drift from the code.
 */
import { z } from 'zod';
import type {
  FieldProblem,
  HandshakeSubscribeAnswer,
  IngestAcceptedEvent,
  IngestFailedEvent,
  IngestRejectedEvent,
  NewsroomAuth,
  PollOutcome,
  Post,
  PostEvent,
  PresenceEvent,
  QueueStats,
  RemovedEvent,
  ReplayedEvent,
  RequestFailed,
  SourcePolledEvent,
  SubscribeAnswer,
  SubscribeOk,
  UnsubscribeAnswer,
} from '../../../shared/contract/protocol.js';
import { CHANNEL_PATTERN } from '../../../shared/contract/channel.js';
import { POST_ID_PATTERN } from '../../../shared/domain/article/post-id.js';
import { inStep } from './same-type.js';

/** An ISO-8601 date-time as Khabar writes them (`toISOString()`). */
export const isoTime = z.iso.datetime({ offset: true });
export const channelName = z.string().regex(CHANNEL_PATTERN);
export const postId = z.string().regex(POST_ID_PATTERN);
const count = z.number().int().min(0);

export const fieldProblem = z.object({
  path: z.string().meta({ description: 'The field: `title`, `articles[2].url`, `limit`.' }),
  message: z.string(),
});
inStep<z.output<typeof fieldProblem>, FieldProblem>();

export const post = z
  .object({
    id: postId,
    url: z.url(),
    title: z.string(),
    summary: z.string().optional(),
    author: z.string().optional(),
    channels: z.array(channelName).min(1),
    imageUrl: z.url().optional(),
    lang: z.string().optional(),
    publishedAt: isoTime,
    updatedAt: isoTime.optional(),
    ago: z.string().meta({ description: 'Relative label ("21 mins ago") in the asked locale.' }),
  })
  .meta({ title: 'Post' });
inStep<z.output<typeof post>, Post>();

const eventHead = {
  channel: channelName,
  seq: z.number().int().min(1),
  cursor: z.string().meta({ description: '`<epoch>-<seq>`: give the last one seen as `since`.' }),
};

export const postEvent = z.object({ ...eventHead, post }).meta({ title: 'PostEvent' });
inStep<z.output<typeof postEvent>, PostEvent>();

export const removedEvent = z.object({ ...eventHead, id: postId }).meta({ title: 'RemovedEvent' });
inStep<z.output<typeof removedEvent>, RemovedEvent>();

export const replayedEvent = z.discriminatedUnion('type', [
  z.object({ type: z.enum(['post:new', 'post:updated']), ...postEvent.shape }),
  z.object({ type: z.literal('post:removed'), ...removedEvent.shape }),
]);
inStep<z.output<typeof replayedEvent>, ReplayedEvent>();

export const subscribeOk = z.object({
  ok: z.literal(true),
  channel: channelName,
  serverTime: isoTime,
  cursor: z.string(),
  recovered: z.boolean(),
  posts: z.array(post).optional(),
  events: z.array(replayedEvent).optional(),
});
inStep<z.output<typeof subscribeOk>, SubscribeOk>();

export const requestFailed = z.object({
  ok: z.literal(false),
  error: z.string(),
  message: z.string(),
});
inStep<z.output<typeof requestFailed>, RequestFailed>();

export const subscribeAnswer = z.union([subscribeOk, requestFailed]);
inStep<z.output<typeof subscribeAnswer>, SubscribeAnswer>();

export const handshakeSubscribeAnswer = z.union([
  subscribeOk,
  requestFailed.extend({
    channel: channelName
      .optional()
      .meta({ description: 'The channel asked for, when the request named a valid one.' }),
  }),
]);
inStep<z.output<typeof handshakeSubscribeAnswer>, HandshakeSubscribeAnswer>();

export const unsubscribeAnswer = z.union([z.object({ ok: z.literal(true) }), requestFailed]);
inStep<z.output<typeof unsubscribeAnswer>, UnsubscribeAnswer>();

export const ingestAccepted = z.object({
  id: postId,
  jobId: z.string(),
  source: z.string(),
  title: z.string().optional(),
});
inStep<z.output<typeof ingestAccepted>, IngestAcceptedEvent>();

export const ingestRejected = z.object({
  source: z.string(),
  error: z.string(),
  details: z.array(fieldProblem),
});
inStep<z.output<typeof ingestRejected>, IngestRejectedEvent>();

export const ingestFailed = z.object({
  jobId: z.string(),
  error: z.string(),
  attemptsMade: count,
  final: z.boolean(),
  postId: postId.optional(),
});
inStep<z.output<typeof ingestFailed>, IngestFailedEvent>();

export const pollOutcome = z.object({
  status: z.enum(['ok', 'not-modified', 'error']),
  httpStatus: z.number().int().optional(),
  items: count,
  added: count,
  updated: count,
  error: z.string().optional(),
  notice: z.string().optional(),
});
inStep<z.output<typeof pollOutcome>, PollOutcome>();

export const sourcePolled = z.object({
  ...pollOutcome.shape,
  sourceId: z.string(),
  url: z.url(),
  nextPollAt: isoTime,
});
inStep<z.output<typeof sourcePolled>, SourcePolledEvent>();

export const queueStats = z.object({
  queue: z.string(),
  waiting: count,
  active: count,
  delayed: count,
  failed: count,
  completedPerMinute: count,
  oldestWaitingMs: count,
});
inStep<z.output<typeof queueStats>, QueueStats>();

export const presence = z.object({ channels: z.record(z.string(), count) });
inStep<z.output<typeof presence>, PresenceEvent>();

export const newsroomAuth = z.object({
  token: z.string().meta({ description: 'One of NEWSROOM_TOKENS.' }),
  locale: z.string().optional(),
});
inStep<z.output<typeof newsroomAuth>, NewsroomAuth>();
