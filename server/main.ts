import { loadConfigOrExit } from '../shared/infra/config.js';
import { createLifecycle } from '../shared/infra/lifecycle.js';
import { createLogger } from '../shared/infra/logger.js';
import { DEV_TOKENS_FILE, withDevTokens } from './launch/dev-tokens.js';
import { createServerNode } from './node.js';

/** Composition root of a server node (`npm run server`): the only place that reads env and listens. */
const { env, filled } = withDevTokens(process.env);
const config = loadConfigOrExit(env);
const logger = createLogger({ level: config.logLevel, role: 'server' });
const lifecycle = createLifecycle({ logger });
lifecycle.exitOnSignals();

for (const variable of filled) {
  logger.info(
    { event: 'config.dev_token', variable, file: DEV_TOKENS_FILE },
    `${variable} is not set; using the development token in ${DEV_TOKENS_FILE} (npm run tokens shows it)`,
  );
}
for (const variable of config.generatedSecrets) {
  const value = variable === 'INGEST_TOKENS' ? config.ingestTokens[0] : config.newsroomTokens[0];
  // Only when the tokens file cannot be written: the person running it needs to see the token.
  logger.warn(
    { event: 'config.generated_secret', variable },
    `${variable} is not set; for this run use: ${value ?? ''}`,
  );
}
if (config.production && config.ingestTokens.length === 0) {
  logger.warn(
    { event: 'config.write_api_off', variable: 'INGEST_TOKENS' },
    'INGEST_TOKENS is not set: the write API (articles, sources, jobs) answers 503; set INGEST_TOKENS=<token>[,<token>…] to turn it on',
  );
}
if (config.production && config.newsroomTokens.length === 0) {
  logger.warn(
    { event: 'config.newsroom_off', variable: 'NEWSROOM_TOKENS' },
    'NEWSROOM_TOKENS is not set: the dashboard and the /newsroom namespace refuse everyone; set NEWSROOM_TOKENS=<token>[,<token>…] to turn them on',
  );
}

const node = createServerNode(config, logger);
lifecycle.onShutdown('server', () => node.close());

node.listen(config.port, config.host).then(
  (port) => {
    logger.info(
      { event: 'server.listening', host: config.host, port },
      `listening on http://${config.host}:${port}/`,
    );
  },
  (err: unknown) => {
    const inUse = err instanceof Error && 'code' in err && err.code === 'EADDRINUSE';
    const hint = inUse ? `: port ${config.port} is in use; set PORT to a free one` : '';
    logger.fatal(
      { event: 'server.listen_failed', err },
      `cannot listen on ${config.host}:${config.port}${hint}`,
    );
    process.exit(1);
  },
);
