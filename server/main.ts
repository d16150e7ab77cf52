import { loadConfigOrExit } from '../shared/config.js';
import { createLifecycle } from '../shared/lifecycle.js';
import { createLogger } from '../shared/logger.js';
import { createServerNode } from './node.js';

/** Composition root of a server node (`npm run server`): the only place that reads env and listens. */
const config = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel, role: 'server' });
const lifecycle = createLifecycle({ logger });
lifecycle.exitOnSignals();

for (const variable of config.generatedSecrets) {
  const value = variable === 'INGEST_TOKENS' ? config.ingestTokens[0] : config.newsroomTokens[0];
  // Development only (production never generates): the person running it needs to see it.
  logger.warn(
    { event: 'config.generated_secret', variable },
    `${variable} is not set; for this run use: ${value ?? ''}`,
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
