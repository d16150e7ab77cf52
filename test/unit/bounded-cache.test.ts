import assert from 'node:assert/strict';
import { BoundedCache } from '../../shared/contract/bounded-cache.js';

describe('BoundedCache', () => {
  it('forgets its oldest entry past the limit, and keeps an undefined value as an entry', () => {
    const cache = new BoundedCache<string | undefined>(2);
    cache.set('a', 'A');
    cache.set('b', undefined);
    assert.equal(cache.has('b'), true);
    cache.set('a', 'A again'); // a key already kept makes no room
    assert.equal(cache.size, 2);
    cache.set('c', 'C');
    assert.equal(cache.size, 2);
    assert.equal(cache.has('a'), false);
    assert.deepEqual([cache.get('b'), cache.get('c')], [undefined, 'C']);
  });
});
