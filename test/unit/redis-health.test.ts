/// <reference types="mocha" />
import assert from 'node:assert/strict';
import { createLogger } from '../../shared/infra/logger.js';
import {
  createRedisHealth,
  isConnectionError,
  RedisTimeoutError,
} from '../../shared/infra/redis-health.js';
import { captureLogs, eventually, type LogLine } from '../helpers/khabar.js';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('isConnectionError', () => {
  it('recognises what ioredis, BullMQ and Node say when Redis cannot be reached', () => {
    const maxRetries = new Error('Reached the max retries per request limit (which is 1).');
    maxRetries.name = 'MaxRetriesPerRequestError';
    const closed = new Error('Connection is closed.');
    closed.name = 'ConnectionClosedError';
    for (const err of [
      withCode('connect ECONNREFUSED 127.0.0.1:6379', 'ECONNREFUSED'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      withCode('connect ETIMEDOUT', 'ETIMEDOUT'),
      new Error('Connection is closed.'),
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      new Error('Command timed out'),
      new Error('LOADING Redis is loading the dataset in memory'),
      maxRetries,
      closed,
      new RedisTimeoutError(2000),
      new Error('storage failed', { cause: withCode('read ECONNRESET', 'ECONNRESET') }),
      new AggregateError([withCode('connect ECONNREFUSED ::1:6379', 'ECONNREFUSED')], ''),
    ])
      assert.equal(isConnectionError(err), true, err.message);
  });

  it('leaves every other error to its caller', () => {
    for (const err of [
      new Error('ERR Error running script (call to f_1): attempt to index a nil value'),
      new Error('WRONGTYPE Operation against a key holding the wrong kind of value'),
      new Error('WRONGPASS invalid username-password pair or user is disabled.'),
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      'ECONNREFUSED',
      undefined,
    ])
      assert.equal(isConnectionError(err), false, String(err));
  });
});

describe('createRedisHealth', () => {
  function setup(): { lines: LogLine[]; logger: ReturnType<typeof createLogger> } {
    const lines: LogLine[] = [];
    const destination = captureLogs(lines);
    return { lines, logger: createLogger({ level: 'info', role: 'test', destination }) };
  }

  it('reports a run of connection failures once when it starts and once, with counts, when it ends', async () => {
    const { lines, logger } = setup();
    const health = createRedisHealth({ logger, settleMs: 20 });
    const refused = withCode('connect ECONNREFUSED 127.0.0.1:6379', 'ECONNREFUSED');
    assert.equal(health.absorb('worker:ingest', refused), true);
    assert.equal(health.reachable, false);
    for (let i = 0; i < 4; i++) health.absorb('http', new Error('Command timed out'));
    const back = await eventually(() => lines.find((l) => l.event === 'redis.reconnected'));
    assert.equal(health.reachable, true);
    assert.deepEqual(
      lines.map((l) => [l.event, l.level]),
      [
        ['redis.unavailable', 40],
        ['redis.reconnected', 30],
      ],
    );
    assert.equal(lines[0]?.source, 'worker:ingest');
    assert.equal(back.failedAttempts, 5);
    assert.deepEqual(back.failures, { 'worker:ingest': 1, http: 4 });
    assert.equal(typeof back.durationMs, 'number');
    health.close();
  });

  it('hands back any other error, logging nothing', () => {
    const { lines, logger } = setup();
    const health = createRedisHealth({ logger });
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    assert.equal(health.absorb('http', bug), false);
    const otherwise: unknown[] = [];
    health.absorbOr('presence', (err) => otherwise.push(err))(bug);
    assert.deepEqual(otherwise, [bug]);
    assert.equal(health.reachable, true);
    assert.deepEqual(lines, []);
  });

  it('says nothing once closed: failures while the process stops are not an outage', () => {
    const { lines, logger } = setup();
    const health = createRedisHealth({ logger });
    health.close();
    assert.equal(health.absorb('queue:ingest', new Error('Connection is closed.')), true);
    assert.deepEqual(lines, []);
  });
});
