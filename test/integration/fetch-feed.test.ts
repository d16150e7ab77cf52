import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createGzip, gzipSync } from 'node:zlib';
import {
  checkUrlHost,
  publicOnlyPolicy,
  type AddressPolicy,
} from '../../shared/domain/address-guard.js';
import { FetchError, type FetchErrorCode } from '../../shared/domain/feed/fetch/fetch-error.js';
import { DEFAULT_MAX_BYTES, fetchFeed } from '../../shared/domain/feed/fetch/fetch-feed.js';
import { closeFetchAgents } from '../../shared/domain/feed/fetch/guarded-agent.js';
import { parseMaxAge, parseRetryAfter } from '../../shared/domain/feed/fetch/response.js';
import { createHostLimiter } from '../../shared/domain/feed/fetch/host-limit.js';
import {
  closeAfterTest,
  closeOpenServers,
  closer,
  FEED,
  FEED_HOST,
  listen,
  onlyFeedHost,
  sendFeed,
  startFeedServer,
  startTrap,
  type Handler,
} from '../helpers/loopback-servers.js';

const MiB = 1024 * 1024;

async function expectFetchError(
  promise: Promise<unknown>,
  code: FetchErrorCode,
): Promise<FetchError> {
  let result: unknown;
  try {
    result = await promise;
  } catch (error) {
    assert.ok(error instanceof FetchError, `expected a FetchError, got ${String(error)}`);
    assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
    assert.ok(error.message.length > 20, 'the message says what happened');
    return error;
  }
  assert.fail(`expected FetchError ${code}, got ${JSON.stringify(result)}`);
}

function text(body: Uint8Array): string {
  return Buffer.from(body).toString('utf8');
}

/** Streams `total` bytes in 64 KiB chunks, respecting backpressure, until done or hung up on. */
function streamBytes(res: ServerResponse, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let sent = 0;
  const pump = (): void => {
    while (sent < total && !res.destroyed) {
      const size = Math.min(chunk.length, total - sent);
      sent += size;
      if (!res.write(size === chunk.length ? chunk : chunk.subarray(0, size))) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

/** `gc()` without starting node with --expose-gc, so RSS is measured from a settled heap. */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('poll: fetching feeds safely', () => {
  afterEach(closeOpenServers);

  after(async () => {
    await closeFetchAgents();
  });

  describe('fetchFeed', function () {
    this.timeout(20_000);

    describe('conditional GET, headers and caching hints', () => {
      it('returns the body with ETag and Last-Modified, then not-modified keeping those validators when the 304 has none', async () => {
        const lastModified = 'Wed, 21 Oct 2015 07:28:00 GMT';
        const feed = await startFeedServer((req, res) => {
          if (req.headers['if-none-match'] === '"v1"') {
            res.writeHead(304);
            res.end();
            return;
          }
          sendFeed(res, { etag: '"v1"', 'last-modified': lastModified });
        });
        const first = await fetchFeed(`${feed.origin}/feed.xml`, { policy: onlyFeedHost });
        assert.equal(first.status, 'ok');
        assert.equal(first.httpStatus, 200);
        assert.equal(text(first.body), FEED);
        assert.equal(first.contentType, 'application/rss+xml');
        assert.equal(first.etag, '"v1"');
        assert.equal(first.lastModified, lastModified);
        assert.equal(first.finalUrl, `${feed.origin}/feed.xml`);
        assert.equal(feed.requests[0]?.headers['if-none-match'], undefined);

        const second = await fetchFeed(`${feed.origin}/feed.xml`, {
          policy: onlyFeedHost,
          etag: first.etag,
          lastModified: first.lastModified,
        });
        assert.deepEqual(second, {
          status: 'not-modified',
          httpStatus: 304,
          etag: '"v1"',
          lastModified,
          finalUrl: `${feed.origin}/feed.xml`,
        });
        const conditional = feed.requests[1]!.headers;
        assert.equal(conditional['if-none-match'], '"v1"');
        assert.equal(conditional['if-modified-since'], lastModified);
      });

      it('takes new validators from a 304 that carries them', async () => {
        const feed = await startFeedServer((_req, res) => {
          res.writeHead(304, { etag: '"v2"' });
          res.end();
        });
        const result = await fetchFeed(feed.origin, { policy: onlyFeedHost, etag: '"v1"' });
        assert.equal(result.status, 'not-modified');
        assert.equal(result.etag, '"v2"');
      });

      it('sends a User-Agent naming Khabar, an Accept for RSS/Atom/JSON Feed/XML and Accept-Encoding gzip, deflate, br', async () => {
        const feed = await startFeedServer((_req, res) => {
          sendFeed(res);
        });
        await fetchFeed(feed.origin, { policy: onlyFeedHost });
        const headers = feed.requests[0]?.headers ?? {};
        assert.match(headers['user-agent'] ?? '', /^Khabar\/\S+ \(.*feed poller\)$/u);
        for (const type of [
          'application/rss+xml',
          'application/atom+xml',
          'application/feed+json',
          'application/xml',
          'text/xml',
        ]) {
          assert.ok(
            headers.accept?.includes(type),
            `Accept lists ${type}: ${String(headers.accept)}`,
          );
        }
        assert.equal(headers['accept-encoding'], 'gzip, deflate, br');

        await fetchFeed(feed.origin, { policy: onlyFeedHost, userAgent: 'Khabar/9 (test)' });
        assert.equal(feed.requests[1]?.headers['user-agent'], 'Khabar/9 (test)');
      });

      it('reports Cache-Control max-age=600 as minIntervalSeconds 600', async () => {
        const feed = await startFeedServer((_req, res) => {
          sendFeed(res, { 'cache-control': 'public, max-age=600' });
        });
        const result = await fetchFeed(feed.origin, { policy: onlyFeedHost });
        assert.equal(result.minIntervalSeconds, 600);
        assert.equal(parseMaxAge('no-cache'), undefined);
        assert.equal(parseMaxAge('s-maxage=10, max-age="30"'), 30);
      });

      it('returns a gzip-encoded feed decompressed', async () => {
        const feed = await startFeedServer((_req, res) => {
          res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip' });
          res.end(gzipSync(FEED));
        });
        const result = await fetchFeed(feed.origin, { policy: onlyFeedHost });
        assert.equal(result.status, 'ok');
        assert.equal(text(result.body), FEED);
      });
    });

    describe('HTTP errors', () => {
      it('turns 429 with Retry-After: 120 into http_error with retryAfterSeconds 120', async () => {
        const feed = await startFeedServer((_req, res) => {
          res.writeHead(429, { 'retry-after': '120' });
          res.end('slow down');
        });
        const error = await expectFetchError(
          fetchFeed(feed.origin, { policy: onlyFeedHost }),
          'http_error',
        );
        assert.equal(error.httpStatus, 429);
        assert.equal(error.retryAfterSeconds, 120);
        assert.match(error.message, /429.*less often/u);
      });

      it('turns 503 with an HTTP-date Retry-After into retryAfterSeconds until that date', async () => {
        const feed = await startFeedServer((_req, res) => {
          res.writeHead(503, { 'retry-after': new Date(Date.now() + 120_000).toUTCString() });
          res.end();
        });
        const error = await expectFetchError(
          fetchFeed(feed.origin, { policy: onlyFeedHost }),
          'http_error',
        );
        assert.equal(error.httpStatus, 503);
        assert.ok(
          error.retryAfterSeconds !== undefined &&
            error.retryAfterSeconds > 60 &&
            error.retryAfterSeconds <= 121,
          `retryAfterSeconds ${String(error.retryAfterSeconds)}`,
        );
        const now = Date.parse('Wed, 21 Oct 2015 07:26:00 GMT');
        assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now), 120);
        assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:00:00 GMT', now), 0);
        assert.equal(parseRetryAfter('soon', now), undefined);
      });

      it('turns 404 into http_error without retryAfterSeconds', async () => {
        const feed = await startFeedServer((_req, res) => {
          res.writeHead(404, { 'retry-after': '5' });
          res.end('gone');
        });
        const error = await expectFetchError(
          fetchFeed(feed.origin, { policy: onlyFeedHost }),
          'http_error',
        );
        assert.equal(error.httpStatus, 404);
        assert.equal(error.retryAfterSeconds, undefined);
      });

      it('refuses non-http(s) and malformed URLs with invalid_url', async () => {
        for (const url of [
          'ftp://127.0.0.2/feed',
          'file:///etc/passwd',
          'not a url',
          'http://u:p@127.0.0.2/',
        ]) {
          await expectFetchError(fetchFeed(url, { policy: onlyFeedHost }), 'invalid_url');
        }
      });

      it('reports a refused connection as a network error', async () => {
        const feed = await startFeedServer((_req, res) => {
          sendFeed(res);
        });
        const url = feed.origin;
        await feed.close();
        const error = await expectFetchError(fetchFeed(url, { policy: onlyFeedHost }), 'network');
        assert.match(error.message, /ECONNREFUSED/u);
      });
    });

    describe('redirects', () => {
      /** /r/N redirects to /r/N+1 until N = hops, which serves the feed. */
      function chain(hops: number): Handler {
        return (req, res) => {
          const n = Number(/^\/r\/(\d+)$/u.exec(req.url ?? '')?.[1] ?? Number.NaN);
          if (n < hops) {
            res.writeHead(n % 2 === 0 ? 301 : 302, { location: `/r/${n + 1}` });
            res.end();
          } else sendFeed(res);
        };
      }

      it('follows a 301 to the feed and reports the final URL', async () => {
        const feed = await startFeedServer(chain(1));
        const result = await fetchFeed(`${feed.origin}/r/0`, { policy: onlyFeedHost });
        assert.equal(result.status, 'ok');
        assert.equal(text(result.body), FEED);
        assert.equal(result.finalUrl, `${feed.origin}/r/1`);
        assert.deepEqual(
          feed.requests.map((request) => request.url),
          ['/r/0', '/r/1'],
        );
      });

      it('follows a chain of 5 redirects', async () => {
        const feed = await startFeedServer(chain(5));
        const result = await fetchFeed(`${feed.origin}/r/0`, { policy: onlyFeedHost });
        assert.equal(result.finalUrl, `${feed.origin}/r/5`);
        assert.equal(feed.requests.length, 6);
      });

      it('gives up on a chain of 6 redirects with too_many_redirects, after 6 requests', async () => {
        const feed = await startFeedServer(chain(6));
        await expectFetchError(
          fetchFeed(`${feed.origin}/r/0`, { policy: onlyFeedHost }),
          'too_many_redirects',
        );
        assert.equal(feed.requests.length, 6);
      });

      it('refuses a redirect into 127.0.0.1 (private under the policy) with blocked_address, without connecting to it', async () => {
        const trap = await startTrap();
        for (const target of [
          `http://127.0.0.1:${trap.port}/feed`,
          `http://0x7f.1:${trap.port}/feed`,
          `http://localhost:${trap.port}/feed`,
        ]) {
          const feed = await startFeedServer((_req, res) => {
            res.writeHead(302, { location: target });
            res.end();
          });
          const error = await expectFetchError(
            fetchFeed(feed.origin, { policy: onlyFeedHost }),
            'blocked_address',
          );
          // The address as written (a literal), or the name: never what a name resolved to.
          assert.match(error.message, /127\.0\.0\.1|localhost: it is, or resolves to, a private/u);
          assert.equal(feed.requests.length, 1);
        }
        assert.equal(trap.connections, 0);
      });

      it('refuses a redirect to a non-http(s) URL with invalid_url', async () => {
        const feed = await startFeedServer((_req, res) => {
          res.writeHead(301, { location: 'file:///etc/passwd' });
          res.end();
        });
        const error = await expectFetchError(
          fetchFeed(feed.origin, { policy: onlyFeedHost }),
          'invalid_url',
        );
        assert.match(error.message, /redirected/u);
      });
    });

    describe('time limits', () => {
      it('ends with a timeout when the body drips one byte every 200 ms past totalTimeoutMs', async () => {
        const feed = await startFeedServer((_req, res) => {
          res.writeHead(200, { 'content-type': 'application/rss+xml' });
          let sent = 0;
          const drip = setInterval(() => {
            if (res.destroyed || sent >= 100) {
              clearInterval(drip);
              res.end();
              return;
            }
            sent++;
            res.write('x');
          }, 200);
          res.on('close', () => {
            clearInterval(drip);
          });
        });
        await expectFetchError(
          fetchFeed(feed.origin, { policy: onlyFeedHost, totalTimeoutMs: 1000 }),
          'timeout',
        );
      });

      it('ends with a timeout when the server accepts the connection but never answers', async () => {
        const sockets = new Set<Socket>();
        const silent = createTcpServer((socket) => {
          sockets.add(socket);
          socket.on('error', () => undefined);
        });
        const port = await listen(silent, 0, FEED_HOST);
        closeAfterTest({ close: closer(silent, sockets) });
        await expectFetchError(
          fetchFeed(`http://${FEED_HOST}:${port}/`, { policy: onlyFeedHost, totalTimeoutMs: 1000 }),
          'timeout',
        );
        assert.equal(sockets.size, 1, 'it did connect');
      });
    });

    describe('size limit', () => {
      it('stops a gzip bomb (50 MiB of zeros) at the cap with too_large, without inflating it', async () => {
        const gzip = createGzip({ level: 9 });
        const compressed: Buffer[] = [];
        gzip.on('data', (chunk: Buffer) => compressed.push(chunk));
        const zeros = Buffer.alloc(MiB);
        for (let i = 0; i < 50; i++) gzip.write(zeros);
        gzip.end();
        await once(gzip, 'end');
        const bomb = Buffer.concat(compressed);

        const feed = await startFeedServer((req, res) => {
          const body = req.url === '/small' ? gzipSync(FEED) : bomb;
          res.writeHead(200, {
            'content-type': 'application/rss+xml',
            'content-encoding': 'gzip',
            'content-length': body.length,
          });
          res.end(body);
        });
        // Warm up every code path first, then settle the heap, so the growth measured is the bomb's.
        await fetchFeed(`${feed.origin}/small`, { policy: onlyFeedHost });
        const gc = gcFunction();
        gc();
        // RSS is what the brief bounds; ArrayBuffer bytes (where decompressed chunks live) is the
        // sharper measure, since RSS may not grow at all when freed pages are reused.
        const before = process.memoryUsage();
        let peakRss = before.rss;
        let peakBuffers = before.arrayBuffers;
        const measure = (): void => {
          const now = process.memoryUsage();
          peakRss = Math.max(peakRss, now.rss);
          peakBuffers = Math.max(peakBuffers, now.arrayBuffers);
        };
        let samples = 0;
        const sample = setInterval(() => {
          samples++;
          measure();
        }, 1);
        try {
          await expectFetchError(
            fetchFeed(`${feed.origin}/bomb`, { policy: onlyFeedHost }),
            'too_large',
          );
        } finally {
          clearInterval(sample);
        }
        measure();
        const rssGrowth = peakRss - before.rss;
        const bufferGrowth = peakBuffers - before.arrayBuffers;
        const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
        console.log(
          `      gzip bomb: ${bomb.length} bytes gzip of 50 MiB; RSS ${mib(before.rss)} before, ` +
            `${mib(peakRss)} peak (+${mib(rssGrowth)}); ArrayBuffers peak +${mib(bufferGrowth)}; ` +
            `cap ${mib(DEFAULT_MAX_BYTES)}; ${samples} samples`,
        );
        // What the cap allows: the kept chunks (at most the cap) plus, until the next GC, their
        // discarded twins, since undici copies every decompressed chunk (new Uint8Array(chunk)):
        // about 2x the cap, whatever the bomb's size. Inflating it would take 50 MiB.
        const allowance = 3 * DEFAULT_MAX_BYTES;
        assert.ok(rssGrowth < allowance, `RSS grew by ${mib(rssGrowth)}`);
        assert.ok(bufferGrowth < allowance, `ArrayBuffers grew by ${mib(bufferGrowth)}`);
        // What stays after a GC depends on the rest of the suite sharing this process, so it
        // is printed, not asserted; the bound above is what shows the bomb was not inflated.
        await new Promise((resolve) => setTimeout(resolve, 20)); // let the aborted streams unwind
        gc();
        const kept = process.memoryUsage().arrayBuffers - before.arrayBuffers;
        console.log(`      gzip bomb: ${mib(kept)} of ArrayBuffers still held after a GC`);
      });

      it('refuses a 6 MiB body announced by Content-Length with too_large', async () => {
        const feed = await startFeedServer((_req, res) => {
          res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-length': 6 * MiB });
          streamBytes(res, 6 * MiB);
        });
        const error = await expectFetchError(
          fetchFeed(feed.origin, { policy: onlyFeedHost }),
          'too_large',
        );
        assert.match(error.message, /5242880 bytes/u);
      });

      it('refuses a 6 MiB chunked body (no Content-Length) with too_large', async () => {
        const feed = await startFeedServer((_req, res) => {
          res.writeHead(200, { 'content-type': 'application/rss+xml' });
          streamBytes(res, 6 * MiB);
        });
        await expectFetchError(fetchFeed(feed.origin, { policy: onlyFeedHost }), 'too_large');
      });

      it('accepts a body of exactly maxBytes', async () => {
        const feed = await startFeedServer((_req, res) => {
          res.writeHead(200, { 'content-type': 'application/rss+xml' });
          streamBytes(res, 1000);
        });
        const result = await fetchFeed(feed.origin, { policy: onlyFeedHost, maxBytes: 1000 });
        assert.equal(result.status, 'ok');
        assert.equal(result.body.byteLength, 1000);
      });
    });

    describe('server-side request forgery with the default policy', () => {
      it('refuses loopback, private, link-local, CGNAT and unspecified addresses in every spelling, connecting to none', async () => {
        const trap = await startTrap();
        const port = trap.port;
        // Every case is refused before any connection; the non-loopback ones are literal IPs the
        // guard refuses before a socket exists, so no packet leaves the machine.
        const urls = [
          `http://127.0.0.1:${port}/`,
          `http://127.1:${port}/`,
          `http://0x7f.1:${port}/`,
          `http://2130706433:${port}/`,
          `http://017700000001:${port}/`,
          `http://0177.0.0.1:${port}/`,
          `http://[::1]:${port}/`,
          `http://[::ffff:127.0.0.1]:${port}/`,
          `http://[64:ff9b::7f00:1]:${port}/`,
          `http://localhost:${port}/`,
          `http://10.0.0.1:${port}/`,
          'http://192.168.1.1/',
          'http://169.254.169.254/latest/meta-data/',
          'http://[::ffff:169.254.169.254]/latest/meta-data/',
          'http://100.64.0.1/',
          `http://0.0.0.0:${port}/`,
          `http://0:${port}/`,
          `http://[::]:${port}/`,
          `https://127.0.0.1:${port}/`,
        ];
        for (const url of urls) {
          const error = await expectFetchError(fetchFeed(url), 'blocked_address');
          assert.match(error.message, /Refusing to connect/u, url);
          await assert.rejects(checkUrlHost(url, publicOnlyPolicy), { code: 'EBLOCKED' }, url);
        }
        assert.equal(
          trap.connections,
          0,
          `no connection to 127.0.0.1${trap.ipv6 ? ' or [::1]' : ''}`,
        );
        console.log(
          `      ${urls.length} URLs refused; [::1] trap ${trap.ipv6 ? 'listening' : 'unavailable'}`,
        );
      });

      it('connects to a host name only after vetting the address it resolves to', async () => {
        const feed = await startFeedServer((_req, res) => {
          sendFeed(res);
        }, '127.0.0.1');
        const asked: string[] = [];
        const allowLoopbackV4: AddressPolicy = (ip) => {
          asked.push(ip);
          return ip === '127.0.0.1';
        };
        const result = await fetchFeed(`http://localhost:${feed.port}/`, {
          policy: allowLoopbackV4,
        });
        assert.equal(result.status, 'ok');
        assert.ok(asked.includes('127.0.0.1'), `the policy was asked: ${asked.join(', ')}`);
      });
    });

    it('runs at most 2 fetches at once against one host', async () => {
      let inFlight = 0;
      let most = 0;
      const feed = await startFeedServer((_req, res) => {
        inFlight++;
        most = Math.max(most, inFlight);
        setTimeout(() => {
          inFlight--;
          sendFeed(res);
        }, 50);
      });
      const hostLimiter = createHostLimiter(2);
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          fetchFeed(`${feed.origin}/feed/${i}`, { policy: onlyFeedHost, hostLimiter }),
        ),
      );
      assert.equal(results.filter((result) => result.status === 'ok').length, 5);
      assert.equal(feed.requests.length, 5);
      assert.ok(most <= 2, `${most} requests at once`);
    });
  });
});
