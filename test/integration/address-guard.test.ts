import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { Agent, fetch } from 'undici';
import {
  BlockedAddressError,
  InvalidFeedUrlError,
  allowAllPolicy,
  checkUrlHost,
  createGuardedLookup,
  isPublicAddress,
  normalizeHost,
  parseFeedUrl,
  policyFromConfig,
  publicOnlyPolicy,
  type Resolver,
} from '../../shared/domain/address-guard.js';
import {
  closeOpenServers,
  FEED,
  onlyFeedHost,
  sendFeed,
  startFeedServerWithTrap,
} from '../helpers/loopback-servers.js';

describe('address guard: no connection to a private address', () => {
  afterEach(closeOpenServers);

  describe('isPublicAddress', () => {
    const refused = [
      '127.0.0.1',
      '127.255.255.254',
      '0.0.0.0',
      '0.1.2.3',
      '10.0.0.1',
      '10.255.255.255',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '100.127.255.255',
      '192.0.0.8',
      '192.0.2.1',
      '198.51.100.7',
      '203.0.113.9',
      '192.88.99.1',
      '198.18.0.1',
      '198.19.255.255',
      '224.0.0.1',
      '239.255.255.250',
      '240.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      '[::1]',
      'fe80::1',
      'febf:ffff::1',
      'fe80::1%eth0',
      'fec0::1',
      'fc00::1',
      'fd12:3456:789a::1',
      'ff02::1',
      '100::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '::ffff:169.254.169.254',
      '0:0:0:0:0:ffff:192.168.1.1',
      '::127.0.0.1',
      '::ffff:0:127.0.0.1',
      '64:ff9b::7f00:1',
      '64:ff9b::10.0.0.1',
      '64:ff9b::a9fe:a9fe',
      '64:ff9b:1::1',
      '2002:7f00:1::1',
      '2002:c0a8:101::1',
      '2001::1',
      '2001:0:4136:e378:8000:63bf:3fff:fdd2',
      '2001:2::1',
      '2001:db8::1',
      '3fff::1',
      'localhost',
      'example.com',
      '',
      '1.2.3',
      '256.1.1.1',
    ];
    const allowed = [
      '93.184.216.34',
      '8.8.8.8',
      '1.1.1.1',
      '11.0.0.1',
      '100.63.255.255',
      '100.128.0.1',
      '169.255.0.1',
      '172.15.255.255',
      '172.32.0.1',
      '192.167.255.255',
      '198.17.255.255',
      '198.20.0.1',
      '223.255.255.255',
      '2606:4700::1',
      '[2606:4700::1]',
      '2001:4860:4860::8888',
      '2a00:1450:4001::200e',
      '::ffff:93.184.216.34',
      '::ffff:5db8:d822',
      '64:ff9b::93.184.216.34',
      '2002:5db8:d822::1',
    ];

    for (const ip of refused) {
      it(`refuses ${JSON.stringify(ip)}`, () => {
        assert.equal(isPublicAddress(ip), false);
      });
    }
    for (const ip of allowed) {
      it(`allows ${ip}`, () => {
        assert.equal(isPublicAddress(ip), true);
      });
    }

    it('is the default policy; ALLOW_PRIVATE_FEEDS=true allows every address', () => {
      assert.equal(policyFromConfig({ allowPrivateFeeds: false }), publicOnlyPolicy);
      assert.equal(policyFromConfig({ allowPrivateFeeds: true }), allowAllPolicy);
      assert.equal(publicOnlyPolicy('10.0.0.1'), false);
      assert.equal(allowAllPolicy('10.0.0.1'), true);
    });
  });

  describe('normalizeHost and parseFeedUrl', () => {
    const loopbackSpellings = [
      '127.1',
      '0x7f.1',
      '2130706433',
      '017700000001',
      '0177.0.0.1',
      '0x7f.0x0.0x0.0x1',
      '0x7F000001',
      '127.0.0.1.',
      '%31%32%37.0.0.1',
    ];

    for (const spelling of loopbackSpellings) {
      it(`the WHATWG URL parser turns http(s)://${spelling}/ into 127.0.0.1, and so does normalizeHost`, () => {
        assert.equal(new URL(`http://${spelling}:8080/feed`).hostname, '127.0.0.1');
        assert.equal(new URL(`https://${spelling}/feed`).hostname, '127.0.0.1');
        assert.equal(parseFeedUrl(`http://${spelling}/`).hostname, '127.0.0.1');
        assert.equal(normalizeHost(spelling), '127.0.0.1');
      });
    }

    it('canonicalises IPv6 without brackets and names in lower case', () => {
      assert.equal(normalizeHost('[::ffff:127.0.0.1]'), '::ffff:7f00:1');
      assert.equal(normalizeHost('0:0:0:0:0:0:0:1'), '::1');
      assert.equal(normalizeHost('LocalHost'), 'localhost');
      assert.equal(normalizeHost('0'), '0.0.0.0');
      assert.equal(normalizeHost('bücher.example'), 'xn--bcher-kva.example');
    });

    it('rejects strings that are not a host', () => {
      for (const bad of [
        '',
        'a/b',
        'evil.example@127.0.0.1',
        'host:80',
        '1.2.3.4.5',
        'fe80::1%eth0',
      ]) {
        assert.throws(() => normalizeHost(bad), InvalidFeedUrlError, bad);
      }
    });

    it('accepts only http and https URLs without credentials', () => {
      assert.equal(
        parseFeedUrl('https://example.com/feed.xml').href,
        'https://example.com/feed.xml',
      );
      for (const bad of [
        'ftp://example.com/feed',
        'file:///etc/passwd',
        'javascript:alert(1)',
        'gopher://127.0.0.1:6379/_INFO',
        'http://user:secret@example.com/feed',
        'not a url',
        '/relative/feed.xml',
      ]) {
        assert.throws(() => parseFeedUrl(bad), InvalidFeedUrlError, bad);
      }
    });
  });

  describe('address guard lookups', function () {
    this.timeout(10_000);

    /** A fake DNS: answers each lookup with the next entry (the last one repeats). */
    function fakeDns(...answers: string[][]): Resolver & { calls: string[] } {
      const calls: string[] = [];
      const resolve = (hostname: string): Promise<LookupAddress[]> => {
        calls.push(hostname);
        const answer = answers[Math.min(calls.length - 1, answers.length - 1)] ?? [];
        return Promise.resolve(
          answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
        );
      };
      return Object.assign(resolve, { calls });
    }

    function lookupOnce(
      lookup: ReturnType<typeof createGuardedLookup>,
      all: boolean,
      hostname = 'feed.test',
    ): Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }> {
      return new Promise((resolve) => {
        lookup(hostname, { all }, (error, address, family) => {
          resolve({ error, address, family });
        });
      });
    }

    it('answers like dns.lookup when every address is allowed: one address, or all of them', async () => {
      const dns = fakeDns(['127.0.0.2', '::ffff:127.0.0.2']);
      const lookup = createGuardedLookup((ip) => ip.endsWith('127.0.0.2'), dns);
      assert.deepEqual(await lookupOnce(lookup, false), {
        error: null,
        address: '127.0.0.2',
        family: 4,
      });
      const all = await lookupOnce(lookup, true);
      assert.equal(all.error, null);
      assert.deepEqual(all.address, [
        { address: '127.0.0.2', family: 4 },
        { address: '::ffff:127.0.0.2', family: 6 },
      ]);
    });

    it('fails with EBLOCKED when any resolved address is refused, even next to an allowed one', async () => {
      const lookup = createGuardedLookup(onlyFeedHost, fakeDns(['127.0.0.2', '127.0.0.1']));
      for (const all of [false, true]) {
        const { error } = await lookupOnce(lookup, all);
        assert.ok(error instanceof BlockedAddressError);
        assert.equal(error.code, 'EBLOCKED');
        assert.match(error.message, /feed\.test.*private address/u);
        // Not the address: a token holder could map internal DNS with it.
        assert.doesNotMatch(error.message, /127\.0\.0\.[12]/u);
      }
    });

    it('refuses names that are private by their spelling before asking DNS', async () => {
      const dns = fakeDns(['93.184.216.34']);
      for (const name of [
        'localhost',
        'localhost.',
        'feed.localhost',
        'printer.local',
        'db.internal',
        'nas.home.arpa.',
      ]) {
        const { error } = await lookupOnce(createGuardedLookup(publicOnlyPolicy, dns), false, name);
        assert.equal(error?.code, 'EBLOCKED', name);
        await assert.rejects(
          checkUrlHost(`http://${name}:8080/feed`, publicOnlyPolicy, dns),
          { code: 'EBLOCKED' },
          name,
        );
      }
      assert.deepEqual(dns.calls, []);
      // With private feeds allowed (tests, local demos), they resolve as usual.
      const { error } = await lookupOnce(
        createGuardedLookup(allowAllPolicy, fakeDns(['127.0.0.1'])),
        false,
        'localhost.',
      );
      assert.equal(error, null);
    });

    it('fails with ENOTFOUND when the name has no address', async () => {
      const { error } = await lookupOnce(createGuardedLookup(allowAllPolicy, fakeDns([])), false);
      assert.equal(error?.code, 'ENOTFOUND');
    });

    it('checkUrlHost refuses literal IPs and names that resolve to refused addresses', async () => {
      await assert.rejects(checkUrlHost('http://0x7f.1/', publicOnlyPolicy), BlockedAddressError);
      await assert.rejects(checkUrlHost('http://[::ffff:10.0.0.1]/', publicOnlyPolicy), {
        code: 'EBLOCKED',
      });
      await assert.rejects(checkUrlHost('http://localhost/', publicOnlyPolicy), {
        code: 'EBLOCKED',
      });
      await assert.rejects(
        checkUrlHost('http://feed.test/', onlyFeedHost, fakeDns(['127.0.0.2', '10.0.0.1'])),
        { code: 'EBLOCKED' },
      );
      await assert.rejects(checkUrlHost('ftp://feed.test/', allowAllPolicy), InvalidFeedUrlError);
      assert.deepEqual(await checkUrlHost('https://93.184.216.34/feed', publicOnlyPolicy), [
        '93.184.216.34',
      ]);
      assert.deepEqual(
        await checkUrlHost('http://feed.test/', onlyFeedHost, fakeDns(['127.0.0.2'])),
        ['127.0.0.2'],
      );
    });

    it('vets the address actually connected to: undici connects to the name through the guarded lookup', async () => {
      const { feed, trap } = await startFeedServerWithTrap((_req, res) => {
        sendFeed(res);
      });
      const dns = fakeDns(['127.0.0.2']);
      const agent = new Agent({ connect: { lookup: createGuardedLookup(onlyFeedHost, dns) } });
      try {
        const response = await fetch(`http://feed.test:${feed.port}/`, { dispatcher: agent });
        assert.equal(await response.text(), FEED);
        assert.deepEqual(dns.calls, ['feed.test']);
        assert.equal(feed.requests.length, 1);
        assert.equal(trap.connections, 0);
      } finally {
        await agent.close();
      }
    });

    it('closes the DNS-rebinding window: a name vetted at creation that later resolves to a refused address is never connected to', async () => {
      const { feed, trap } = await startFeedServerWithTrap((_req, res) => {
        sendFeed(res);
      });
      // First answer is allowed (the creation-time check), every later one is the "private" 127.0.0.1.
      const dns = fakeDns(['127.0.0.2'], ['127.0.0.1']);
      const url = `http://feed.test:${feed.port}/`;
      assert.deepEqual(await checkUrlHost(url, onlyFeedHost, dns), ['127.0.0.2']);
      const agent = new Agent({ connect: { lookup: createGuardedLookup(onlyFeedHost, dns) } });
      try {
        await assert.rejects(fetch(url, { dispatcher: agent }), (error: unknown) => {
          assert.equal((error as { cause?: { code?: string } }).cause?.code, 'EBLOCKED');
          return true;
        });
        assert.equal(dns.calls.length, 2);
        assert.equal(trap.connections, 0, 'nothing connected to 127.0.0.1');
        assert.equal(feed.requests.length, 0);
      } finally {
        await agent.close();
      }
    });
  });
});
