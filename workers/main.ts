import { loadConfigOrExit } from '../shared/infra/config.js';
import { createLifecycle } from '../shared/infra/lifecycle.js';
import { createLogger } from '../shared/infra/logger.js';
import { createWorkerNode } from './node.js';
import { yieldCpuToServers } from './yield-cpu.js';

/** Composition root of a worker process (`npm run workers`). */
const config = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel, role: 'workers' });
const lifecycle = createLifecycle({ logger });
lifecycle.exitOnSignals();

const niceness = yieldCpuToServers();
const node = createWorkerNode(config, logger);
lifecycle.onShutdown('workers', () => node.close());

node.run();
logger.info(
  {
    event: 'workers.started',
    queue: node.worker.name,
    concurrency: config.workerConcurrency,
    niceness,
  },
  'workers started',
);
