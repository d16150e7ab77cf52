import type {
  ChannelsAnswer,
  ChannelSummary,
  ErrorAnswer,
  FailedJobsAnswer,
  JobsQuery,
  PostsAnswer,
  PostsQuery,
  QueueHistoryAnswer,
  SourcesAnswer,
  SourceView,
} from '../../../shared/contract/http.js';

export type { ChannelSummary, PostsAnswer };

/**
 * The newsroom's HTTP calls (SPEC §5), with the newsroom token as a bearer token where the
 * API wants one. Every failure becomes an {@link ApiError} whose message a person can act on.
 */

/** A refused or failed request: the server's `message` when it sent one. */
export class ApiError extends Error {
  constructor(
    /** The HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    /** The server's stable `error` code, or `network_error`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The token was refused: the person has to sign in again. */
  get unauthorized(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export interface NewsroomApi {
  channels(): Promise<ChannelsAnswer>;
  posts(channel: string, limit: number): Promise<PostsAnswer>;
  sources(): Promise<SourceView[]>;
  failedJobs(limit: number): Promise<FailedJobsAnswer>;
  queueHistory(): Promise<QueueHistoryAnswer>;
  retryJob(id: string): Promise<void>;
  dropJob(id: string): Promise<void>;
  retractArticle(id: string): Promise<void>;
}

/** An error answer's fields, each checked: a proxy's or an old server's body may be anything. */
function errorBody(body: unknown): { [K in keyof ErrorAnswer]?: unknown } {
  return typeof body === 'object' && body !== null ? body : {};
}

/** A query string from a typed query, its values as text. */
function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined) params.set(name, String(value));
  return params.toString();
}

/** Calls the API at `origin` with `token`; posts' labels in `locale`. */
export function createNewsroomApi(origin: string, token: string, locale: string): NewsroomApi {
  async function call(method: string, path: string, auth: boolean): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(new URL(path, origin), { method, headers, cache: 'no-store' });
    } catch {
      throw new ApiError(0, 'network_error', 'Could not reach the server; is it running?');
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const { error, message } = errorBody(body);
      throw new ApiError(
        response.status,
        typeof error === 'string' ? error : 'http_error',
        typeof message === 'string' ? message : `The server answered HTTP ${response.status}.`,
      );
    }
    return body;
  }

  const segment = encodeURIComponent;
  return {
    async channels() {
      return (await call('GET', '/api/channels', false)) as ChannelsAnswer;
    },
    async posts(channel, limit) {
      const query = queryString({ channel, limit, locale } satisfies PostsQuery);
      return (await call('GET', `/api/posts?${query}`, false)) as PostsAnswer;
    },
    async sources() {
      return ((await call('GET', '/api/sources', true)) as SourcesAnswer).sources;
    },
    async failedJobs(limit) {
      const query = queryString({ state: 'failed', limit } satisfies JobsQuery);
      return (await call('GET', `/api/jobs?${query}`, true)) as FailedJobsAnswer;
    },
    async queueHistory() {
      return (await call('GET', '/api/queues', true)) as QueueHistoryAnswer;
    },
    async retryJob(id) {
      await call('POST', `/api/jobs/${segment(id)}/retry`, true);
    },
    async dropJob(id) {
      await call('DELETE', `/api/jobs/${segment(id)}`, true);
    },
    async retractArticle(id) {
      await call('DELETE', `/api/articles/${segment(id)}`, true);
    },
  };
}
