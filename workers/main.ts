import { loadConfigOrExit } from '../shared/config.js';
import { createLifecycle } from '../shared/lifecycle.js';
import { createLogger } from '../shared/logger.js';
import { createWorkerNode } from './node.js';

/** Composition root of a worker process (`npm run workers`). */
const config = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel, role: 'workers' });
const lifecycle = createLifecycle({ logger });
lifecycle.exitOnSignals();

const node = createWorkerNode(config, logger);
lifecycle.onShutdown('workers', () => node.close());

node.run();
logger.info(
  { event: 'workers.started', queue: node.worker.name, concurrency: config.workerConcurrency },
  'workers started',
);
