import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { findOnPath } from '../../server/launch/redis-process.js';
import { MissingPrerequisite } from '../helpers/prerequisites.js';

const run = promisify(execFile);
/** The repository root, from dist/test/integration/. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The compose file checked by Compose itself (no Docker engine is needed for `config`): the
 * plugin (`docker compose`) where it is installed, else the standalone `docker-compose`.
 */
async function composeConfig(...args: string[]): Promise<string> {
  const docker = findOnPath('docker');
  if (docker) {
    const plugin = await run(docker, ['compose', 'version']).then(
      () => true,
      () => false,
    );
    if (plugin) return (await run(docker, ['compose', ...args, 'config'], { cwd: ROOT })).stdout;
  }
  const standalone = findOnPath('docker-compose');
  if (!standalone) {
    throw new MissingPrerequisite(
      'Docker Compose, to check docker-compose.yml, is not installed: the Docker compose plugin, or Debian/Ubuntu "sudo apt-get install docker-compose"',
    );
  }
  return (await run(standalone, [...args, 'config'], { cwd: ROOT })).stdout;
}

describe('deployment files', function () {
  this.timeout(60_000);

  it('docker-compose.yml is valid Compose, and publishes its ports on loopback only', async () => {
    const config = await composeConfig();
    // docker-compose 1.x prints `- 127.0.0.1:3000:3000/tcp`; the plugin prints the long form.
    const short = [...config.matchAll(/^\s*- (?:(\S+):)?(\d+):\d+\/tcp$/gm)];
    const long = [...config.matchAll(/published: ['"]?(\d+)/g)];
    const hosts = [
      ...short.map((m) => m[1] ?? 'every interface'),
      ...[...config.matchAll(/host_ip: ['"]?([^'"\s]+)/g)].map((m) => m[1]),
    ];
    assert.equal(short.length + long.length, 2, config);
    assert.equal(hosts.length, 2, `a port open on every interface:\n${config}`);
    for (const host of hosts) assert.equal(host, '127.0.0.1', config);
    // Not 6379: a Redis already running on this machine must not stop `docker compose up`.
    const ports = [...short.map((m) => m[2]), ...long.map((m) => m[1])];
    assert.ok(!ports.includes('6379'), config);
  });

  it('the image compiles the service without test/ (tsconfig.build.json)', async () => {
    const tsc = fileURLToPath(new URL('node_modules/typescript/bin/tsc', `file://${ROOT}`));
    const { stdout } = await run(
      process.execPath,
      [tsc, '-p', 'tsconfig.build.json', '--listFilesOnly'],
      { cwd: ROOT, maxBuffer: 16 << 20 },
    );
    const ours = stdout
      .split('\n')
      .filter((f) => f.startsWith(ROOT) && !f.includes('/node_modules/'));
    assert.ok(ours.some((f) => f.endsWith('server/main.ts')));
    assert.ok(ours.some((f) => f.endsWith('workers/main.ts')));
    assert.deepEqual(
      ours.filter((f) => f.startsWith(`${ROOT}test/`)),
      [],
    );
  });

  it('the image ships the Lua scripts next to the compiled code, as npm run build does', () => {
    // tsc copies no .lua file; the code reads its scripts from dist/shared/domain/lua/.
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.match(
      pkg.scripts['build:lua'] ?? '',
      /cp -R shared\/domain\/lua dist\/shared\/domain\/lua/,
    );
    assert.match(pkg.scripts.build ?? '', /tsc -p tsconfig\.json && npm run -s build:lua/);
    const dockerfile = readFileSync(`${ROOT}Dockerfile`, 'utf8');
    assert.match(dockerfile, /^RUN npx tsc -p tsconfig\.build\.json && npm run -s build:lua /m);
    assert.match(dockerfile, /^COPY shared \.\/shared$/m);
  });
});
