import assert from 'node:assert/strict';
import { withoutUndefined } from '../../shared/infra/without-undefined.js';

describe('withoutUndefined', () => {
  it('drops the keys whose value is undefined and keeps every other falsy value', () => {
    const copy = withoutUndefined({ a: undefined, b: null, c: 0, d: '', e: false, f: 'x' });
    assert.deepEqual(copy, { b: null, c: 0, d: '', e: false, f: 'x' });
    assert.equal(Object.hasOwn(copy, 'a'), false);
  });

  it('keeps an own "__proto__" key as a key, without touching the copy\'s prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as object;
    const copy = withoutUndefined(parsed);
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.deepEqual(Object.keys(copy), ['__proto__', 'a']);
    assert.equal((copy as { polluted?: boolean }).polluted, undefined);
    assert.deepEqual(
      Object.getOwnPropertyDescriptor(copy, '__proto__'),
      Object.getOwnPropertyDescriptor(Object.fromEntries(Object.entries(parsed)), '__proto__'),
    );
  });
});
