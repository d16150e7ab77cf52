import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { findOnPath } from '../../server/launch/redis-process.js';
import { composeServices } from '../helpers/compose-config.js';
import { cfgServers, findHaproxy, HAPROXY_CFG } from '../helpers/haproxy.js';
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

  it('docker-compose.yml is valid Compose: by default Redis (fsync before every reply), a server and a worker, publishing on loopback only', async () => {
    const config = await composeConfig();
    // docker-compose 1.x prints the services of every profile here too; the plugin does not.
    const always = composeServices(config).filter((service) => service.profiles.length === 0);
    assert.deepEqual(always.map((service) => service.name).sort(), ['redis', 'server', 'workers']);
    const ports = always.flatMap((service) => service.ports);
    const hosts = always.flatMap((service) => service.hosts);
    assert.equal(ports.length, 2, config);
    assert.equal(hosts.length, 2, `a port open on every interface:\n${config}`);
    for (const host of hosts) assert.equal(host, '127.0.0.1', config);
    // Not 6379: a Redis already running on this machine must not stop `docker compose up`.
    assert.ok(!ports.includes('6379'), config);
    // No replica holds a 202's job, so Redis writes it to its append-only file before replying.
    const redis = always.find((service) => service.name === 'redis')?.text ?? '';
    assert.match(redis, /- --appendonly - ['"]?yes['"]? - --appendfsync - always /, redis);
  });

  it('the "ha" profile adds HAProxy, 3 server nodes, 2 workers, a Redis master, 2 replicas and 3 sentinels; only HAProxy publishes, on loopback', async () => {
    const config = await composeConfig('--profile', 'ha');
    const ha = composeServices(config).filter((service) => service.profiles.includes('ha'));
    const byName = new Map(ha.map((service) => [service.name, service]));
    assert.deepEqual([...byName.keys()].sort(), [
      'haproxy',
      'redis-master',
      'redis-replica-1',
      'redis-replica-2',
      'sentinel-1',
      'sentinel-2',
      'sentinel-3',
      'server-1',
      'server-2',
      'server-3',
      'workers-1',
      'workers-2',
    ]);
    const service = (name: string): string => byName.get(name)?.text ?? '';

    const haproxy = byName.get('haproxy')!;
    assert.equal(haproxy.ports.length, 1, haproxy.text);
    assert.deepEqual(haproxy.hosts, ['127.0.0.1'], haproxy.text);
    assert.ok(!haproxy.ports.includes('6379') && !haproxy.ports.includes('3000'), haproxy.text);
    assert.match(
      service('haproxy'),
      /deploy\/haproxy\.cfg:\/usr\/local\/etc\/haproxy\/haproxy\.cfg/,
    );
    for (const other of ha.filter((s) => s.name !== 'haproxy')) {
      assert.deepEqual(other.ports, [], `${other.name} publishes a port`);
    }

    // Server nodes and workers find the master through the three sentinels.
    const url = 'redis+sentinel://sentinel-1:26379,sentinel-2:26379,sentinel-3:26379/khabar';
    for (const name of ['server-1', 'server-2', 'server-3', 'workers-1', 'workers-2']) {
      assert.ok(service(name).includes(`REDIS_URL: ${url}`), `${name}: ${service(name)}`);
      assert.match(service(name), /REDIS_MIN_REPLICAS: ['"]?1['"]?( |$)/, name);
    }
    for (const name of ['server-1', 'server-2', 'server-3']) {
      assert.match(service(name), /dist\/server\/main\.js/, name);
    }
    for (const name of ['workers-1', 'workers-2']) {
      assert.match(service(name), /dist\/workers\/main\.js/, name);
    }

    // Every data node keeps an append-only file and never evicts; replicas start from the master.
    for (const name of ['redis-master', 'redis-replica-1', 'redis-replica-2']) {
      assert.match(service(name), /- --appendonly - ['"]?yes['"]? /, name);
      assert.match(service(name), /- --maxmemory-policy - noeviction /, name);
      assert.match(service(name), new RegExp(`- --replica-announce-ip - ${name}( |$)`), name);
    }
    for (const name of ['redis-replica-1', 'redis-replica-2']) {
      assert.match(service(name), /- --replicaof - redis-master - ['"]?6379['"]? /, name);
    }
    assert.doesNotMatch(service('redis-master'), /--replicaof/);

    // The sentinels agree on the master (by its compose name) and a quorum of 2 of 3.
    for (const name of ['sentinel-1', 'sentinel-2', 'sentinel-3']) {
      const text = service(name);
      for (const line of [
        'sentinel resolve-hostnames yes',
        'sentinel announce-hostnames yes',
        'sentinel monitor khabar redis-master 6379 2',
        'sentinel down-after-milliseconds khabar 5000',
        'sentinel failover-timeout khabar 10000',
      ]) {
        assert.ok(text.includes(`'${line}'`), `${name} lacks "${line}": ${text}`);
      }
      assert.match(text, new RegExp(`SENTINEL_HOSTNAME: ${name}( |$)`), name);
    }
  });

  it("deploy/haproxy.cfg is valid for HAProxy, with or without the nodes' names resolving", async () => {
    const haproxy = findHaproxy();
    // As shipped (compose's names, which do not resolve here) and as the balancer test runs it.
    const environments: Record<string, string>[] = [
      {},
      Object.fromEntries(cfgServers().map((s, i) => [s.variable, `127.0.0.1:${3001 + i}`])),
    ];
    for (const env of environments) {
      const { stdout, stderr } = await run(haproxy, ['-c', '-f', HAPROXY_CFG], {
        env: { PATH: process.env.PATH ?? '', ...env },
      });
      assert.match(stdout + stderr, /Configuration file is valid/);
      assert.doesNotMatch(stderr, /ALERT/);
    }
    assert.equal(cfgServers().length, 3);
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
