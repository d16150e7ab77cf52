import { loadConfig } from '../../../shared/infra/config.js';
import { createLogger } from '../../../shared/infra/logger.js';
import { createServerNode } from '../../../server/node.js';
import { createWorkerNode } from '../../../workers/node.js';
import { yieldCpuToServers } from '../../../workers/yield-cpu.js';
import { heartbeatFromEnv, serveParent } from '../proc.js';

/**
 * Khabar under benchmark, built as `npm run server` and `npm run workers` build it, one role
 * per process (`node khabar-node.js server|workers`), configured by the environment. The
 * controller asks each for its CPU time and memory over IPC.
 */

const role = process.argv[2];
const heartbeat = heartbeatFromEnv();
const config = loadConfig(process.env);
const logger = createLogger({ level: config.logLevel, role: `bench-${role ?? ''}` });

async function start(): Promise<Record<string, unknown>> {
  if (role === 'server') {
    const node = createServerNode(config, logger, heartbeat);
    return { port: await node.listen(0, '127.0.0.1') };
  }
  if (role === 'workers') {
    yieldCpuToServers(); // as workers/main.ts does
    createWorkerNode(config, logger).run();
    return {};
  }
  throw new Error(`unknown role ${String(role)}`);
}

// Nothing to do on request but report CPU time and memory, which serveParent answers itself.
serveParent(
  (message) => {
    throw new Error(`unknown request ${message.type}`);
  },
  await start(),
);
