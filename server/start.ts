import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import PinoPretty from 'pino-pretty';
import { loadConfigOrExit } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { DEFAULT_REDIS_URL } from '../shared/redis.js';
import { startPublisher, type Publisher } from './demo/publisher.js';
import { findOnPath, redisAnswers, startRedisProcess, type RedisProcess } from './redis-process.js';

/**
 * `npm start`: one command for a newcomer. Finds or starts a Redis, then runs a server node
 * and a worker process as children (the same programs as `npm run server` / `npm run
 * workers`), and stops all of them, Redis last, on Ctrl-C or SIGTERM.
 */
const NO_REDIS_HELP = `khabar: no Redis found. Khabar needs Redis 7; any one of these will do:
  - install it: Debian/Ubuntu "sudo apt-get install redis-server", macOS "brew install redis"
    (npm start then runs a private redis-server with its data in .data/redis)
  - run one in Docker: "docker compose up -d redis"
  - point Khabar at yours: REDIS_URL=redis://host:6379 npm start`;

const config = loadConfigOrExit();
const pretty = process.stdout.isTTY;
const logger = createLogger({
  level: config.logLevel,
  role: 'start',
  destination: pretty ? PinoPretty({ colorize: true }) : undefined,
});

async function findRedis(): Promise<{ url: string; owned?: RedisProcess }> {
  if (config.redisUrl) return { url: config.redisUrl };
  if (await redisAnswers(DEFAULT_REDIS_URL)) {
    logger.info(
      { event: 'start.redis', url: DEFAULT_REDIS_URL },
      'using the Redis on 127.0.0.1:6379',
    );
    return { url: DEFAULT_REDIS_URL };
  }
  const binary = findOnPath('redis-server');
  if (!binary) {
    process.stderr.write(`${NO_REDIS_HELP}\n`);
    process.exit(1);
  }
  const owned = await startRedisProcess({ dir: '.data/redis', appendOnly: true, binary });
  logger.info(
    { event: 'start.redis', url: owned.url, dir: owned.dir },
    `started a private redis-server on port ${owned.port}`,
  );
  return { url: owned.url, owned };
}

function run(role: 'server' | 'workers', env: NodeJS.ProcessEnv): ChildProcess {
  const script = fileURLToPath(
    new URL(role === 'server' ? './main.js' : '../workers/main.js', import.meta.url),
  );
  const child = spawn(process.execPath, [script], {
    env,
    stdio: ['ignore', pretty ? 'pipe' : 'inherit', 'inherit'],
  });
  if (pretty) child.stdout?.pipe(PinoPretty({ colorize: true, destination: 1 }));
  return child;
}

/** Where the launcher reaches its own server child: a wildcard address means this machine. */
function localBaseUrl(): string {
  const host =
    config.host === '0.0.0.0' || config.host === ''
      ? '127.0.0.1'
      : config.host === '::'
        ? '[::1]'
        : config.host.includes(':')
          ? `[${config.host}]`
          : config.host;
  return `http://${host}:${config.port}`;
}

const { url, owned } = await findRedis();
const env = { ...process.env, REDIS_URL: url };
const children = [run('server', env), run('workers', env)];

// `npm run demo`: also post sample articles every few seconds, once the server answers.
let publisher: Publisher | undefined;
if (process.argv.includes('--demo')) {
  if (config.production) {
    logger.warn(
      { event: 'demo.disabled' },
      '--demo is ignored in production (NODE_ENV=production): the demo route is not mounted',
    );
  } else {
    publisher = startPublisher({ baseUrl: localBaseUrl(), intervalMs: 4000, logger });
  }
}

let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await publisher?.stop();
    const alive = children.filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(
      alive.map((c) => {
        c.kill('SIGTERM');
        return new Promise((done) => c.once('exit', done));
      }),
    );
    await owned?.stop();
  }
  process.exit(code);
}

for (const child of children) {
  child.once('exit', (code, signal) => {
    if (stopping) return;
    logger.error(
      { event: 'start.child_exited', pid: child.pid, code, signal },
      'a Khabar process stopped; stopping the rest',
    );
    void stopAll(1);
  });
}
process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));
