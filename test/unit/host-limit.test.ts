import assert from 'node:assert/strict';
import { createHostLimiter } from '../../shared/domain/feed/fetch/host-limit.js';

describe('createHostLimiter', () => {
  function deferred(): { promise: Promise<void>; resolve: () => void } {
    let resolve = (): void => undefined;
    const promise = new Promise<void>((done) => {
      resolve = done;
    });
    return { promise, resolve };
  }

  async function settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  it('runs at most 2 of 5 tasks on one host at once, the rest in order', async () => {
    const limiter = createHostLimiter(2);
    const gates = Array.from({ length: 5 }, () => deferred());
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const runs = gates.map((gate, i) =>
      limiter.run('Feeds.Example', async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await gate.promise;
        running--;
        return i;
      }),
    );
    await settle();
    assert.deepEqual(started, [0, 1]);
    assert.equal(limiter.active('feeds.example'), 2);
    assert.equal(limiter.waiting('feeds.example'), 3);
    for (const gate of gates) {
      gate.resolve();
      await settle();
    }
    assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3, 4]);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.equal(most, 2);
    assert.equal(limiter.active('feeds.example'), 0);
  });

  it('does not hold back another host', async () => {
    const limiter = createHostLimiter(1);
    const gate = deferred();
    const busy = limiter.run('a.example', () => gate.promise);
    assert.equal(await limiter.run('b.example', () => Promise.resolve('b')), 'b');
    gate.resolve();
    await busy;
  });

  it('frees the slot of a failing task and drops a waiting task whose signal aborts', async () => {
    const limiter = createHostLimiter(1);
    const gate = deferred();
    const first = limiter.run('a.example', async () => {
      await gate.promise;
      throw new Error('boom');
    });
    const controller = new AbortController();
    let abortedRan = false;
    const aborted = limiter.run(
      'a.example',
      () => {
        abortedRan = true;
        return Promise.resolve();
      },
      controller.signal,
    );
    const third = limiter.run('a.example', () => Promise.resolve('third'));
    controller.abort(new Error('gave up'));
    await assert.rejects(aborted, /gave up/u);
    gate.resolve();
    await assert.rejects(first, /boom/u);
    assert.equal(await third, 'third');
    assert.equal(abortedRan, false);
    assert.equal(limiter.waiting('a.example'), 0);
  });
});
