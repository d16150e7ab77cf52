import type { ClusterOptions, RedisOptions } from 'ioredis';

/**
 * `REDIS_URL` in its three forms (SPEC §2), turned into what ioredis needs to reach the master:
 *
 * - one server: `redis://[user:pass@]host:port[/db]` (`rediss://` for TLS);
 * - a Sentinel set: `redis+sentinel://[user:pass@]host:port,host:port,…/<master name>[/db]`,
 *   the addresses being the sentinels' (`rediss+sentinel://` for TLS); the user and password are
 *   the data nodes';
 * - a Cluster: `redis+cluster://[user:pass@]host:port,host:port,…`, the seed nodes
 *   (`rediss+cluster://` for TLS).
 *
 * Every connection Khabar and BullMQ make comes from one of these, so a process follows the
 * master wherever a failover moves it.
 */
export type RedisTarget =
  | { kind: 'server'; options: RedisOptions }
  | { kind: 'sentinel'; options: RedisOptions }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; options: ClusterOptions };

/** A `REDIS_URL` that is none of the three forms; its message never repeats a password. */
export class RedisUrlError extends Error {
  constructor(reason: string) {
    super(
      `${reason}; expected redis://host:6379, redis+sentinel://host:26379,host:26380/mymaster or redis+cluster://host:7000,host:7001 (rediss… for TLS)`,
    );
    this.name = 'RedisUrlError';
  }
}

const SCHEMES: Record<string, { kind: RedisTarget['kind']; tls: boolean }> = {
  'redis:': { kind: 'server', tls: false },
  'rediss:': { kind: 'server', tls: true },
  'redis+sentinel:': { kind: 'sentinel', tls: false },
  'rediss+sentinel:': { kind: 'sentinel', tls: true },
  'redis+cluster:': { kind: 'cluster', tls: false },
  'rediss+cluster:': { kind: 'cluster', tls: true },
};

const DEFAULT_PORT: Record<RedisTarget['kind'], number> = {
  server: 6379,
  sentinel: 26379,
  cluster: 6379,
};

/** `host:port`, `host` or `[v6]:port`, as written in the URL's host list. */
function parseAddress(text: string, defaultPort: number): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/.exec(text);
  if (!match) throw new RedisUrlError(`"${text}" is not a host:port address`);
  const port = match[3] === undefined ? defaultPort : Number(match[3]);
  if (port < 1 || port > 65535) throw new RedisUrlError(`port ${port} is out of range`);
  return { host: match[1] ?? match[2] ?? '', port };
}

function parseDb(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,2}$/.test(text)) throw new RedisUrlError(`"/${text}" is not a database number`);
  return Number(text);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RedisUrlError('the user or password is not valid percent-encoding');
  }
}

/** Parses `REDIS_URL`; throws {@link RedisUrlError} naming what is wrong and the expected forms. */
export function parseRedisUrl(url: string): RedisTarget {
  if (/\s/.test(url)) throw new RedisUrlError('REDIS_URL contains a space');
  const schemeEnd = url.indexOf('//');
  const scheme = schemeEnd > 0 ? url.slice(0, schemeEnd).toLowerCase() : '';
  const form = SCHEMES[scheme];
  if (!form) {
    const shown = scheme === '' ? 'no scheme' : `the scheme "${scheme}"`;
    throw new RedisUrlError(`REDIS_URL has ${shown}`);
  }
  let rest = url.slice(schemeEnd + 2);
  // The credentials end at the last '@' before the path: a password may hold '@' (encoded or not).
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  let username: string | undefined;
  let password: string | undefined;
  if (at !== -1) {
    const credentials = authority.slice(0, at);
    const colon = credentials.indexOf(':');
    username = decode(colon === -1 ? credentials : credentials.slice(0, colon)) || undefined;
    password = colon === -1 ? undefined : decode(credentials.slice(colon + 1)) || undefined;
    rest = rest.slice(at + 1);
  }
  const hostsEnd = rest.indexOf('/');
  const hostList = hostsEnd === -1 ? rest : rest.slice(0, hostsEnd);
  const path = hostsEnd === -1 ? [] : rest.slice(hostsEnd + 1).split('/');
  if (hostList === '') throw new RedisUrlError('REDIS_URL names no host');
  const addresses = hostList.split(',').map((a) => parseAddress(a, DEFAULT_PORT[form.kind]));
  const auth = { ...(username ? { username } : {}), ...(password ? { password } : {}) };
  const tls = form.tls ? { tls: {} } : {};

  switch (form.kind) {
    case 'server': {
      if (addresses.length !== 1) throw new RedisUrlError('a redis:// URL names one server');
      const db = parseDb(path[0]);
      if (path.length > 1) throw new RedisUrlError('a redis:// URL ends with the database number');
      const [address] = addresses;
      return { kind: 'server', options: { ...address, ...auth, ...tls, ...(db ? { db } : {}) } };
    }
    case 'sentinel': {
      const [name, dbText, ...extra] = path;
      if (!name) throw new RedisUrlError('a redis+sentinel:// URL ends with /<master name>');
      if (extra.length > 0) throw new RedisUrlError('too many parts after the master name');
      const db = parseDb(dbText);
      return {
        kind: 'sentinel',
        options: {
          sentinels: addresses,
          name: decode(name),
          ...auth,
          ...tls,
          ...(form.tls ? { enableTLSForSentinelMode: true } : {}),
          ...(db ? { db } : {}),
        },
      };
    }
    case 'cluster': {
      if (path.some((part) => part !== '')) {
        throw new RedisUrlError('a redis+cluster:// URL has no path (a cluster has one database)');
      }
      return {
        kind: 'cluster',
        nodes: addresses,
        options: { redisOptions: { ...auth, ...tls } },
      };
    }
  }
}

/** Where a target points, for logs: no user, no password. */
export function describeRedisTarget(target: RedisTarget): string {
  const list = (nodes: readonly { host?: string; port?: number }[]): string =>
    nodes.map((n) => `${n.host ?? ''}:${String(n.port ?? '')}`).join(',');
  switch (target.kind) {
    case 'server':
      return `redis ${list([target.options])}`;
    case 'sentinel':
      return `sentinel master "${target.options.name ?? ''}" via ${list(target.options.sentinels ?? [])}`;
    case 'cluster':
      return `cluster via ${list(target.nodes)}`;
  }
}
