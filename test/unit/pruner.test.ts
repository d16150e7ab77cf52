import assert from 'node:assert/strict';
import { createLogger } from '../../shared/infra/logger.js';
import { createPruner } from '../../workers/ingest/pruner.js';

describe('the pruner', () => {
  const logger = createLogger({ level: 'silent', role: 'test' });

  it('prunes what jobs trimmed within an interval in one batch, and flushes on close', async () => {
    const calls: string[][] = [];
    const pruner = createPruner(
      {
        prune: (ids) => {
          calls.push([...ids]);
          return Promise.resolve(ids.length);
        },
      },
      logger,
      20,
    );
    pruner.add(['a', 'b']);
    pruner.add(['b', 'c']);
    assert.deepEqual(calls, []);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(calls, [['a', 'b', 'c']]);
    pruner.add(['d']);
    await pruner.close();
    assert.deepEqual(calls, [['a', 'b', 'c'], ['d']]);
  });

  it('goes on after a batch failed (its ids stay in Redis for the next prune)', async () => {
    let fail = true;
    const done: string[] = [];
    const pruner = createPruner(
      {
        prune: (ids) => {
          if (fail) {
            fail = false;
            return Promise.reject(new Error('Redis away'));
          }
          done.push(...ids);
          return Promise.resolve(ids.length);
        },
      },
      logger,
      5,
    );
    pruner.add(['x']);
    await pruner.flush();
    pruner.add(['y']);
    await pruner.flush();
    assert.deepEqual(done, ['y']);
    await pruner.close();
  });
});
