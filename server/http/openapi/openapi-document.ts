/**
 * The OpenAPI 3.1 document of the HTTP API, built from the route table (routes.ts): each route's
 * parameters and body from the schemas it validates with, its answers from the schemas held to
 * the contract types, and its error answers from the registry of errors.
 */
import { z } from 'zod';
import { ERRORS, type ErrorCode } from '../../../shared/infra/errors.js';
import { errorAnswer } from './answers.js';
import { jsonSchemaOf, type JsonSchema } from './json-schema.js';
import type { Caller, RouteDescription } from './routes.js';

export interface ApiInfo {
  title: string;
  version: string;
}

type SecurityRequirement = Record<string, string[]>;

const SECURITY_SCHEMES = {
  ingestToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'A token of INGEST_TOKENS: what producers publish and manage sources with.',
  },
  newsroomToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'A token of NEWSROOM_TOKENS: what the newsroom dashboard reads and acts with.',
  },
  metricsToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'METRICS_TOKEN; /metrics is open when it is not set.',
  },
} as const;

/** Each caller as OpenAPI security requirements (any one of them suffices; `{}` is none). */
const SECURITY: Record<Caller, SecurityRequirement[]> = {
  public: [],
  ingest: [{ ingestToken: [] }],
  editor: [{ ingestToken: [] }, { newsroomToken: [] }],
  metrics: [{ metricsToken: [] }, {}],
};

const request = (schema: z.ZodType): JsonSchema =>
  jsonSchemaOf(schema, { io: 'input', target: 'draft-2020-12' });
const answer = (schema: z.ZodType): JsonSchema =>
  jsonSchemaOf(schema, { io: 'output', target: 'draft-2020-12' });

/** `/api/sources/:id` → `/api/sources/{id}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(route: RouteDescription): JsonSchema[] {
  const of = (where: 'path' | 'query', shape: z.ZodObject | undefined): JsonSchema[] => {
    if (!shape) return [];
    const schema = request(shape);
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((schema.required ?? []) as string[]);
    return Object.entries(properties).map(([name, property]) => {
      const { description, ...rest } = property;
      return {
        name,
        in: where,
        // A path parameter is always required (OpenAPI); a query one when it has no default.
        required: where === 'path' || required.has(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      };
    });
  };
  return [...of('path', route.params), ...of('query', route.query)];
}

/** The error answers of `codes`, one per status, each naming the codes it may carry. */
function errorResponses(codes: readonly ErrorCode[]): Record<string, JsonSchema> {
  const byStatus = new Map<number, Set<ErrorCode>>();
  for (const code of codes) {
    const { status } = ERRORS[code];
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
  }
  const responses: Record<string, JsonSchema> = {};
  for (const [status, set] of [...byStatus].sort(([a], [b]) => a - b)) {
    const list = [...set];
    const [first, ...more] = list;
    if (first === undefined) continue;
    responses[String(status)] = {
      description: `\`${list.join('`, `')}\` (shared/infra/errors.ts).`,
      content: {
        'application/json': {
          schema: answer(errorAnswer.extend({ error: z.enum([first, ...more]) })),
        },
      },
    };
  }
  return responses;
}

/** `delete /api/sources/:id` → `deleteApiSourcesId`; `get /` → `get`. */
function operationId({ method, path }: RouteDescription): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method + words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
}

function operation(route: RouteDescription): JsonSchema {
  const responses: Record<string, JsonSchema> = errorResponses(route.errors);
  for (const { status, description, json, mediaType } of route.answers) {
    const content = json
      ? { 'application/json': { schema: answer(json) } }
      : mediaType
        ? { [mediaType]: { schema: { type: 'string' } } }
        : undefined;
    responses[String(status)] = { description, ...(content ? { content } : {}) };
  }
  const params = parameters(route);
  return {
    operationId: operationId(route),
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    security: SECURITY[route.caller],
    ...(params.length ? { parameters: params } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: request(route.body) } },
          },
        }
      : {}),
    responses,
  };
}

/** The whole document; `routes` is describeRoutes' table. */
export function buildOpenApiDocument(
  info: ApiInfo,
  routes: readonly RouteDescription[],
): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      description:
        'The HTTP API of Khabar (SPEC §5). Every failed request answers `{ error, message, details? }`; `error` is a stable code. The Socket.IO protocol and the event stream are /api/asyncapi.json.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [
      { name: 'articles', description: 'Publishing and retracting.' },
      { name: 'reading', description: 'What readers and pages read.' },
      { name: 'sources', description: 'Feeds Khabar polls.' },
      { name: 'newsroom', description: "The dashboard's jobs and queues." },
      { name: 'operations', description: 'Health, metrics and these descriptions.' },
      { name: 'websub', description: "The WebSub hubs' callback." },
      { name: 'pages', description: 'The demo page, the dashboard and the widget.' },
    ],
    paths,
    components: { securitySchemes: SECURITY_SCHEMES },
  };
}
