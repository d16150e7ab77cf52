/**
 * The HTTP answers (shared/contract/http.ts) as zod schemas, for the OpenAPI description only:
 * the routes build their answers as the contract types (`satisfies`), and the compiler holds each
 * schema here to the same type ({@link inStep}).
 */
import { z } from 'zod';
import type {
  ArticleRejection,
  ArticlesAccepted,
  ChannelsAnswer,
  DemoSampleAccepted,
  ErrorAnswer,
  FailedJobsAnswer,
  HealthAnswer,
  JobRetried,
  PollQueued,
  PostsAnswer,
  QueueHistoryAnswer,
  ReadyAnswer,
  SourcesAnswer,
  SourceView,
} from '../../../shared/contract/http.js';
import {
  channelName,
  fieldProblem,
  isoTime,
  pollOutcome,
  post,
  postId,
  queueStats,
} from './protocol-schemas.js';
import { inStep } from './same-type.js';

export const errorAnswer = z
  .object({
    error: z.string().meta({ description: 'A stable code to branch on (shared/infra/errors.ts).' }),
    message: z.string().meta({ description: 'What went wrong, in words a person can act on.' }),
    details: z.array(fieldProblem).optional(),
  })
  .meta({ title: 'ErrorAnswer' });
inStep<z.output<typeof errorAnswer>, ErrorAnswer>();

const articleRejection = z.object({
  index: z.number().int().min(0),
  error: z.literal('invalid_article'),
  details: z.array(fieldProblem),
});
inStep<z.output<typeof articleRejection>, ArticleRejection>();

export const articlesAccepted = z.object({
  accepted: z.array(
    z.object({
      id: postId,
      jobId: z
        .string()
        .describe('The job that stores it: the articles of one request share one job.'),
    }),
  ),
  rejected: z.array(articleRejection),
});
inStep<z.output<typeof articlesAccepted>, ArticlesAccepted>();

export const demoSampleAccepted = z.object({
  accepted: z.array(
    z.object({ id: postId, jobId: z.string(), channels: z.array(channelName), title: z.string() }),
  ),
});
inStep<z.output<typeof demoSampleAccepted>, DemoSampleAccepted>();

export const postsAnswer = z.object({
  channel: channelName,
  serverTime: isoTime,
  cursor: z.string(),
  posts: z.array(post),
});
inStep<z.output<typeof postsAnswer>, PostsAnswer>();

export const channelsAnswer = z.array(
  z.object({
    channel: channelName,
    posts: z.number().int().min(0),
    lastPublishedAt: isoTime.nullable(),
    viewers: z.number().int().min(0),
  }),
);
inStep<z.output<typeof channelsAnswer>, ChannelsAnswer>();

export const sourceView = z
  .object({
    id: z.string(),
    url: z.url(),
    page: z.url().optional(),
    channels: z.array(channelName),
    intervalSeconds: z.number().int().min(1),
    createdAt: isoTime,
    lastPoll: z.object({ ...pollOutcome.shape, at: isoTime }).optional(),
    consecutiveErrors: z.number().int().min(0),
    nextPollAt: isoTime,
    push: z
      .object({
        hub: z.url(),
        topic: z.url(),
        state: z.enum(['subscribing', 'active', 'denied', 'expired', 'off']),
        leaseExpiresAt: isoTime.optional(),
        lastPushAt: isoTime.optional(),
        error: z.string().optional(),
      })
      .optional(),
  })
  .meta({ title: 'SourceView' });
inStep<z.output<typeof sourceView>, SourceView>();

export const sourcesAnswer = z.object({ sources: z.array(sourceView) });
inStep<z.output<typeof sourcesAnswer>, SourcesAnswer>();

export const pollQueued = z.object({ jobId: z.string() });
inStep<z.output<typeof pollQueued>, PollQueued>();

export const failedJobsAnswer = z.object({
  jobs: z.array(
    z.object({
      id: z.string(),
      postId: postId.optional(),
      title: z.string().optional(),
      url: z.string().optional(),
      articles: z
        .number()
        .int()
        .min(2)
        .optional()
        .describe('How many articles the job carries, when it is a batch: the post is its first.'),
      source: z.string(),
      error: z.string(),
      attemptsMade: z.number().int().min(0),
      failedAt: isoTime,
    }),
  ),
});
inStep<z.output<typeof failedJobsAnswer>, FailedJobsAnswer>();

export const jobRetried = z.object({ id: z.string(), state: z.literal('waiting') });
inStep<z.output<typeof jobRetried>, JobRetried>();

export const queueHistoryAnswer = z.object({
  serverTime: isoTime,
  queues: z.array(
    z.object({
      queue: z.string(),
      samples: z.array(queueStats.omit({ queue: true }).extend({ at: isoTime })),
    }),
  ),
});
inStep<z.output<typeof queueHistoryAnswer>, QueueHistoryAnswer>();

export const healthAnswer = z.object({ status: z.literal('ok') });
inStep<z.output<typeof healthAnswer>, HealthAnswer>();

export const readyAnswer = z.object({ status: z.literal('ready') });
inStep<z.output<typeof readyAnswer>, ReadyAnswer>();
