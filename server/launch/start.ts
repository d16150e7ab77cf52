import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import PinoPretty from 'pino-pretty';
import {
  DEFAULT_REDIS_URL,
  loadConfigOrExit,
  type GeneratedSecret,
} from '../../shared/infra/config.js';
import { createLogger } from '../../shared/infra/logger.js';
import { startPublisher, type Publisher } from './demo-publisher.js';
import { DEV_TOKENS_FILE, withDevTokens } from './dev-tokens.js';
import { findOnPath, redisAnswers, startRedisProcess, type RedisProcess } from './redis-process.js';

/**
 * `npm start`: one command for a newcomer. Finds or starts a Redis, then runs a server node
 * and a worker process as children (the same programs as `npm run server` / `npm run
 * workers`), and stops all of them, Redis last, on Ctrl-C or SIGTERM.
 */
const USAGE = `Usage: npm start [-- --demo]    (the same as: node dist/server/launch/start.js [--demo])

Runs Khabar on this machine: a server node (HTTP API, Socket.IO, demo page, dashboard) and a
worker process, on the Redis named by REDIS_URL, else the one on 127.0.0.1:6379, else a private
redis-server (data in .data/redis). Ctrl-C stops everything.

Options:
  --demo   also publish a sample article every few seconds (what npm run demo does)
  --help   print this and exit

Configuration comes from environment variables (README, "Configuration"), e.g.
  PORT=3100 npm start
Outside production the ingest and newsroom tokens are kept in ${DEV_TOKENS_FILE};
npm run tokens prints them.
`;

const NO_REDIS_HELP = `khabar: no Redis found. Khabar needs Redis 7; any one of these will do:
  - install it: Debian/Ubuntu "sudo apt-get install redis-server", macOS "brew install redis"
    (npm start then runs a private redis-server with its data in .data/redis)
  - run one in Docker: "docker compose up -d redis", then
    REDIS_URL=redis://127.0.0.1:6380 npm start
  - point Khabar at yours: REDIS_URL=redis://host:6379 npm start`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const unknown = args.filter((arg) => arg !== '--demo');
if (unknown.length > 0) {
  process.stderr.write(`khabar: unknown option ${unknown.join(' ')}\n\n${USAGE}`);
  process.exit(2);
}

const { env: tokenEnv, filled } = withDevTokens(process.env);
const config = loadConfigOrExit(tokenEnv);
const terminal = process.stdout.isTTY;
/** One line per event on a terminal: the role, the message, then the event's fields. */
const prettyOptions = {
  colorize: true,
  singleLine: true,
  translateTime: 'SYS:HH:MM:ss',
  ignore: 'pid,hostname,role',
  messageFormat: '{role} · {msg}',
};
const logger = createLogger({
  level: config.logLevel,
  role: 'start',
  destination: terminal ? PinoPretty(prettyOptions) : undefined,
});

/** Fails early, before a Redis is started, when another program holds the port. */
function portFree(host: string, port: number): Promise<boolean> {
  if (port === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => {
      resolve(false);
    });
    probe.listen(port, host, () => {
      probe.close(() => {
        resolve(true);
      });
    });
  });
}

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
  // No replica holds a 202's job here, so the append-only file must: `always` writes it to disk
  // before Redis replies, where the default (`everysec`) may let a crash take the last seconds.
  const owned = await startRedisProcess({
    dir: '.data/redis',
    appendOnly: true,
    binary,
    extraArgs: ['--appendfsync', 'always'],
  });
  logger.info(
    { event: 'start.redis', url: owned.url, dir: owned.dir },
    `started a private redis-server on port ${owned.port}`,
  );
  return { url: owned.url, owned };
}

/** Where a person (and the demo publisher) reaches the server: a wildcard address means this machine. */
function localBaseUrl(port: number): string {
  const host =
    config.host === '0.0.0.0' || config.host === ''
      ? '127.0.0.1'
      : config.host === '::'
        ? '[::1]'
        : config.host.includes(':')
          ? `[${config.host}]`
          : config.host;
  return `http://${host}:${port}`;
}

/** The framed block printed once the server listens: where to go, and with which tokens. */
function readyBlock(baseUrl: string): string {
  const tokenRow = (
    label: string,
    variable: GeneratedSecret,
    value: string | undefined,
  ): string[] => {
    if (filled.includes(variable)) return [label, value ?? ''];
    if (value) return [label, `from ${variable}`];
    return [label, `off: ${variable} is not set`];
  };
  const rows = [
    ['demo page', `${baseUrl}/`],
    ['dashboard', `${baseUrl}/dashboard`],
    tokenRow('ingest token', 'INGEST_TOKENS', config.ingestTokens[0]),
    tokenRow('newsroom token', 'NEWSROOM_TOKENS', config.newsroomTokens[0]),
  ];
  const labelWidth = Math.max(...rows.map(([label = '']) => label.length));
  const lines = rows.map(([label = '', value = '']) => `${label.padEnd(labelWidth)}  ${value}`);
  if (filled.length > 0) lines.push(`npm run tokens prints the tokens again (${DEV_TOKENS_FILE})`);
  const title = ' Khabar is running ';
  const width = Math.max(title.length + 2, ...lines.map((line) => line.length));
  return [
    `╭─${title}${'─'.repeat(width - title.length + 1)}╮`,
    ...lines.map((line) => `│ ${line.padEnd(width)} │`),
    `╰${'─'.repeat(width + 2)}╯`,
    '',
  ].join('\n');
}

/**
 * Runs one role as a child. Its JSON lines pass through (pretty, one line each, on a terminal),
 * and `onLine` sees each parsed line: that is how the launcher learns the server listens.
 */
function run(
  role: 'server' | 'workers',
  env: NodeJS.ProcessEnv,
  onLine: (line: Record<string, unknown>) => void,
): ChildProcess {
  const script = fileURLToPath(
    new URL(role === 'server' ? '../main.js' : '../../workers/main.js', import.meta.url),
  );
  const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const pretty = terminal ? PinoPretty.prettyFactory(prettyOptions) : undefined;
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: Record<string, unknown> | undefined;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Not a log line (a library writing to stdout): pass it on as it is.
    }
    process.stdout.write(pretty && line ? pretty(line) : `${text}\n`);
    if (line) onLine(line);
  });
  return child;
}

if (!(await portFree(config.host, config.port))) {
  process.stderr.write(
    `khabar: cannot listen on ${config.host}:${config.port}: port ${config.port} is in use; start with another port, e.g. PORT=${config.port + 100} npm start\n`,
  );
  process.exit(1);
}

const { url, owned } = await findRedis();
const childEnv = { ...tokenEnv, REDIS_URL: url };
let publisher: Publisher | undefined;

function onServerLine(line: Record<string, unknown>): void {
  if (line.event !== 'server.listening' || typeof line.port !== 'number') return;
  const baseUrl = localBaseUrl(line.port);
  (terminal ? process.stdout : process.stderr).write(readyBlock(baseUrl));
  // `npm run demo`: also post sample articles every few seconds, now that the server answers.
  if (!process.argv.includes('--demo')) return;
  if (config.production) {
    logger.warn(
      { event: 'demo.disabled' },
      '--demo is ignored in production (NODE_ENV=production): the demo route is not mounted',
    );
    return;
  }
  publisher = startPublisher({ baseUrl, intervalMs: 4000, logger });
}

const children = [run('server', childEnv, onServerLine), run('workers', childEnv, () => undefined)];

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
