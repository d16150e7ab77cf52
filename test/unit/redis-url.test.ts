import assert from 'node:assert/strict';
import { describeRedisTarget, parseRedisUrl, RedisUrlError } from '../../shared/infra/redis-url.js';

describe('parseRedisUrl', () => {
  it('reads one server, with credentials, a database and TLS', () => {
    assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6380'), {
      kind: 'server',
      options: { host: '127.0.0.1', port: 6380 },
    });
    assert.deepEqual(parseRedisUrl('rediss://app:p%40ss@cache.example.com/2'), {
      kind: 'server',
      options: {
        host: 'cache.example.com',
        port: 6379,
        username: 'app',
        password: 'p@ss',
        tls: {},
        db: 2,
      },
    });
    assert.deepEqual(parseRedisUrl('redis://:secret@[::1]:7000').options, {
      host: '::1',
      port: 7000,
      password: 'secret',
    });
  });

  it('reads a Sentinel set: the sentinels, the master name, the data nodes’ credentials', () => {
    assert.deepEqual(parseRedisUrl('redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2/khabar/1'), {
      kind: 'sentinel',
      options: {
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: '10.0.0.2', port: 26379 },
        ],
        name: 'khabar',
        password: 'pw',
        db: 1,
      },
    });
    const tls = parseRedisUrl('rediss+sentinel://s1:26379/khabar');
    assert.equal(tls.kind, 'sentinel');
    assert.deepEqual(tls.options, {
      sentinels: [{ host: 's1', port: 26379 }],
      name: 'khabar',
      tls: {},
      enableTLSForSentinelMode: true,
    });
  });

  it('reads a Cluster’s seed nodes', () => {
    assert.deepEqual(parseRedisUrl('redis+cluster://u:p@n1:7000,n2:7001,n3'), {
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
        { host: 'n3', port: 6379 },
      ],
      options: { redisOptions: { username: 'u', password: 'p' } },
    });
  });

  for (const [url, reason] of [
    ['http://localhost:6379', /scheme "http:"/],
    ['localhost:6379', /no scheme/],
    ['redis://', /no host/],
    ['redis://a:1,b:2', /one server/],
    ['redis://host:99999', /out of range/],
    ['redis://host/abc', /database number/],
    ['redis+sentinel://s1:26379', /master name/],
    ['redis+sentinel://s1:26379/', /master name/],
    ['redis+cluster://n1:7000/3', /no path/],
    ['redis://us er:hunter2@host', /a space/],
    ['redis://user:hunter2@bad_host!', /host:port/],
  ] as const) {
    it(`refuses ${url} in one line naming the forms, without a password`, () => {
      assert.throws(
        () => parseRedisUrl(url),
        (err: unknown) =>
          err instanceof RedisUrlError &&
          reason.test(err.message) &&
          err.message.includes('redis+sentinel://') &&
          !err.message.includes('hunter2') &&
          !err.message.includes('\n'),
      );
    });
  }

  it('describes a target for logs without its credentials', () => {
    for (const url of [
      'redis://app:topsecret@h:1',
      'redis+sentinel://app:topsecret@s:2/m',
      'redis+cluster://app:topsecret@n:3',
    ]) {
      const text = describeRedisTarget(parseRedisUrl(url));
      assert.doesNotMatch(text, /topsecret|app/);
    }
    assert.equal(
      describeRedisTarget(parseRedisUrl('redis+sentinel://s:2,t:3/m')),
      'sentinel master "m" via s:2,t:3',
    );
  });
});
