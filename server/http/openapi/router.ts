import { Router } from 'express';
import { buildAsyncApiDocument } from './asyncapi-document.js';
import { buildOpenApiDocument, type ApiInfo } from './openapi-document.js';
import { describeRoutes, type RouteTableOptions } from './routes.js';

export interface ApiDescriptionDeps extends RouteTableOptions {
  /** `host:port` the AsyncAPI document names: PUBLIC_URL's, else localhost and PORT. */
  host: string;
}

/** The version of the API the documents describe: the contract's (SPEC §5, §6), not a build's. */
const INFO: ApiInfo = { title: 'Khabar', version: '0.1.0' };

/** Built on first use, then kept: the routes and schemas do not change while a node runs. */
function once(build: () => unknown): () => string {
  let text: string | undefined;
  return () => (text ??= JSON.stringify(build()));
}

/** `GET /api/openapi.json` and `GET /api/asyncapi.json`, without a token. */
export function apiDescriptionRouter(deps: ApiDescriptionDeps): Router {
  const { host, ...tableOptions } = deps;
  const openApi = once(() => buildOpenApiDocument(INFO, describeRoutes(tableOptions)));
  const asyncApi = once(() => buildAsyncApiDocument({ ...INFO, host }));
  const router = Router();
  router.get('/api/openapi.json', (_req, res) => {
    res.type('application/json').send(openApi());
  });
  router.get('/api/asyncapi.json', (_req, res) => {
    res.type('application/json').send(asyncApi());
  });
  return router;
}
