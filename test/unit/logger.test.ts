/// <reference types="mocha" />
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../shared/infra/logger.js';

/** An in-memory destination: every line the logger writes, as text. */
function memoryStream(): { stream: Writable; text: () => string; lines: () => unknown[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const text = (): string => chunks.join('');
  const lines = (): unknown[] =>
    text()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as unknown);
  return { stream, text, lines };
}

function setup(level = 'info'): { logger: Logger } & ReturnType<typeof memoryStream> {
  const memory = memoryStream();
  return {
    logger: createLogger({ level, role: 'test-role', destination: memory.stream }),
    ...memory,
  };
}

describe('createLogger', () => {
  it('writes one JSON line per call carrying role, pid, level, ISO time, message and fields', () => {
    const { logger, lines } = setup();
    logger.info({ event: 'job.completed', jobId: 'j1', durationMs: 12 }, 'job completed');
    const [line, ...rest] = lines() as Record<string, unknown>[];
    assert.equal(rest.length, 0);
    assert.ok(line);
    assert.equal(line.role, 'test-role');
    assert.equal(line.pid, process.pid);
    assert.equal(line.level, 30);
    assert.equal(typeof line.time, 'string');
    assert.equal(new Date(line.time as string).toISOString(), line.time);
    assert.equal(line.event, 'job.completed');
    assert.equal(line.jobId, 'j1');
    assert.equal(line.durationMs, 12);
    assert.equal(line.msg, 'job completed');
    assert.ok(!('hostname' in line));
  });

  it('drops lines below the configured level', () => {
    const { logger, lines } = setup('warn');
    logger.info({ event: 'quiet' }, 'not written');
    logger.warn({ event: 'loud' }, 'written');
    assert.deepEqual(
      lines().map((line) => (line as { event: string }).event),
      ['loud'],
    );
  });

  it('serializes an err field with its type, message and stack', () => {
    const { logger, lines } = setup();
    logger.error({ event: 'job.failed', err: new TypeError('boom') }, 'job failed');
    const [line] = lines() as { err: { type: string; message: string; stack: string } }[];
    assert.equal(line?.err.type, 'TypeError');
    assert.equal(line.err.message, 'boom');
    assert.match(line.err.stack, /TypeError: boom/);
  });

  describe('redaction', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['a top-level token', { token: 'secret-value' }, 'secret-value'],
      ['a nested token', { client: { token: 'nested-secret' } }, 'nested-secret'],
      [
        'an authorization header of a request',
        { req: { headers: { authorization: 'Bearer x-secret-bearer' } } },
        'x-secret-bearer',
      ],
      ['a cookie header of a request', { req: { headers: { cookie: 'sid=c00kie' } } }, 'c00kie'],
      ['an auth token', { auth: { token: 'y-secret-auth' } }, 'y-secret-auth'],
      ['an auth token one level down', { socket: { auth: { token: 'deep-auth' } } }, 'deep-auth'],
      [
        'the token lists of a logged configuration',
        {
          config: {
            ingestTokens: ['ingest-secret'],
            newsroomTokens: ['newsroom-secret'],
            metricsToken: 'metrics-secret',
            redisUrl: 'redis://:redis-pass@localhost',
          },
        },
        'secret|redis-pass',
      ],
      ['top-level token lists', { ingestTokens: ['list-secret'] }, 'list-secret'],
    ];

    for (const [what, fields, secret] of cases) {
      it(`replaces ${what} with [redacted]`, () => {
        const { logger, text } = setup();
        logger.info({ event: 'redaction.check', ...fields }, 'checking redaction');
        assert.doesNotMatch(text(), new RegExp(secret));
        assert.match(text(), /\[redacted\]/);
        assert.match(text(), /"event":"redaction.check"/);
      });
    }

    it('redacts a frozen object without throwing and without changing it', () => {
      const { logger, text } = setup();
      const config = Object.freeze({ port: 3000, ingestTokens: Object.freeze(['frozen-secret']) });
      logger.info({ event: 'config.loaded', config }, 'configuration loaded');
      assert.doesNotMatch(text(), /frozen-secret/);
      assert.match(text(), /"port":3000/);
      assert.deepEqual(config.ingestTokens, ['frozen-secret']);
    });

    it('keeps fields that are not secrets', () => {
      const { logger, lines } = setup();
      logger.info({ event: 'x', req: { headers: { 'user-agent': 'curl' } } }, 'x');
      const [line] = lines() as { req: { headers: Record<string, string> } }[];
      assert.equal(line?.req.headers['user-agent'], 'curl');
    });
  });
});
