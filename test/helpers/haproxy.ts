import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findOnPath, freePort } from '../../server/launch/redis-process.js';
import { eventually } from './khabar.js';
import { MissingPrerequisite } from './prerequisites.js';

/**
 * HAProxy running the shipped deploy/haproxy.cfg, unchanged: the file reads its addresses
 * from the environment (with compose's names as defaults), so a test points it at nodes on
 * 127.0.0.1 through the environment alone and tests exactly what production runs.
 */

/** deploy/haproxy.cfg, from dist/test/helpers/. */
export const HAPROXY_CFG = fileURLToPath(new URL('../../../deploy/haproxy.cfg', import.meta.url));

/** One `server` line of the config: its name, the variable holding its address, its cookie. */
export interface CfgServer {
  name: string;
  variable: string;
  cookie: string;
}

/**
 * The `server <name> "${<VARIABLE>-<default>}" … cookie <value>` lines (those of the checked
 * Socket.IO backend; the other backend's servers follow them), in order.
 */
export function cfgServers(text = readFileSync(HAPROXY_CFG, 'utf8')): CfgServer[] {
  return [
    ...text.matchAll(/^\s*server\s+(\S+)\s+"\$\{([A-Z0-9_]+)-[^}]*\}".*\scookie\s+(\S+)/gm),
  ].map((m) => ({ name: m[1]!, variable: m[2]!, cookie: m[3]! }));
}

/**
 * The haproxy binary: on PATH, or in the sbin folders Debian and a source build use (a
 * non-root PATH often leaves them out).
 */
export function findHaproxy(): string {
  const found =
    findOnPath('haproxy') ??
    ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy'].find((path) => {
      try {
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  if (!found) {
    throw new MissingPrerequisite(
      'HAProxy 2.4 or newer, to test deploy/haproxy.cfg, is not installed: Debian/Ubuntu "sudo apt-get install haproxy", macOS "brew install haproxy"',
    );
  }
  return found;
}

/** A server's state as HAProxy's stats page reports it (`UP`, `DOWN`, `MAINT`, `UP 1/2`, …). */
export interface ServerState {
  status: string;
  /** The last check's result: `L7OK` (200), `L7STS` (another status), `L4CON` (refused), … */
  check: string;
}

export interface Haproxy {
  /** The public frontend, `http://127.0.0.1:<port>`. */
  url: string;
  /** The stats frontend, `http://127.0.0.1:<port>`. */
  statsUrl: string;
  /** The config's servers, each with the port of the node it was given. */
  servers: (CfgServer & { port: number })[];
  /** The state of each server by name, from `/stats;csv`. */
  states(): Promise<Map<string, ServerState>>;
  /**
   * Waits until each named server's status is the one given (e.g. `{ node1: 'UP' }`); `UP`
   * also needs a passed check, as HAProxy counts a server up before its first check.
   */
  waitForStates(expected: Record<string, string>, timeoutMs?: number): Promise<void>;
  /** What HAProxy printed (its warnings and request log), for failure messages. */
  output(): string;
  /** SIGKILL, and waits for the exit. */
  stop(): Promise<void>;
}

/** Starts `haproxy -db -f deploy/haproxy.cfg` with one node port per `server` line. */
export async function startHaproxy(nodePorts: readonly number[]): Promise<Haproxy> {
  const binary = findHaproxy();
  const servers = cfgServers();
  if (servers.length !== nodePorts.length) {
    throw new Error(`deploy/haproxy.cfg has ${servers.length} servers; got ${nodePorts.length}`);
  }
  const [port, statsPort] = await Promise.all([freePort(), freePort()]);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    KHABAR_LISTEN: `127.0.0.1:${port}`,
    KHABAR_STATS_LISTEN: `127.0.0.1:${statsPort}`,
    // The production figure needs 40,000 file descriptors; a test needs a few dozen
    // connections and may run under a lower limit (HAProxy refuses to start then).
    KHABAR_MAXCONN: '1000',
  };
  servers.forEach((server, i) => (env[server.variable] = `127.0.0.1:${nodePorts[i]!}`));

  // -db: stay in the foreground, so the test owns the process and its output.
  const child = spawn(binary, ['-db', '-f', HAPROXY_CFG], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let gone = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      gone = true;
      resolve();
    });
  });

  const statsUrl = `http://127.0.0.1:${statsPort}`;
  const states = async (): Promise<Map<string, ServerState>> => {
    const csv = await (await fetch(`${statsUrl}/stats;csv`)).text();
    const [header = '', ...rows] = csv.trim().split('\n');
    const columns = header.replace(/^# /, '').split(',');
    const at = (name: string): number => columns.indexOf(name);
    const found = new Map<string, ServerState>();
    for (const row of rows) {
      const cells = row.split(',');
      // khabar_http's servers only follow these checks.
      if (cells[at('pxname')] !== 'khabar_sockets') continue;
      const name = cells[at('svname')] ?? '';
      if (name === 'BACKEND') continue;
      found.set(name, {
        status: cells[at('status')] ?? '',
        check: cells[at('check_status')] ?? '',
      });
    }
    return found;
  };

  const stop = async (): Promise<void> => {
    if (!gone) child.kill('SIGKILL');
    await exited;
  };

  try {
    // Listening once the stats page answers; a config it refuses makes it exit instead.
    await eventually(async () => {
      if (gone) throw new Error(`haproxy exited:\n${output}`);
      return (await states().catch(() => undefined)) ? true : undefined;
    }, 10_000);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    statsUrl,
    servers: servers.map((server, i) => ({ ...server, port: nodePorts[i]! })),
    states,
    async waitForStates(expected, timeoutMs = 20_000) {
      let last = new Map<string, ServerState>();
      try {
        await eventually(async () => {
          last = await states();
          const all = Object.entries(expected).every(([name, status]) => {
            const state = last.get(name);
            return state?.status === status && (status !== 'UP' || state.check === 'L7OK');
          });
          return all ? true : undefined;
        }, timeoutMs);
      } catch (err) {
        throw new Error(
          `haproxy's servers are ${JSON.stringify(Object.fromEntries(last))}, ` +
            `expected ${JSON.stringify(expected)}`,
          { cause: err },
        );
      }
    },
    output: () => output,
    stop,
  };
}
