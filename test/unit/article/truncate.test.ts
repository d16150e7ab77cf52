import assert from 'node:assert/strict';
import { cutAtSpace, cutAtWordBoundary } from '../../../shared/domain/article/truncate.js';

describe('cutAtWordBoundary', () => {
  it('ends a text cut right after an ellipsis in one "…", not two', () => {
    const text = `Breaking news from the state capital… ${'more words follow here '.repeat(5)}`;
    for (let max = 38; max <= 42; max++) {
      const cut = cutAtWordBoundary(text, max);
      assert.equal(cut, 'Breaking news from the state capital…', `max ${max}`);
      assert.equal(cut, cutAtSpace(text, max), `max ${max}: as summaries are cut`);
    }
  });
});

describe('cutAtSpace', () => {
  it('cuts one long word between two characters, never between a letter and its combining mark', () => {
    assert.equal(cutAtSpace('x'.repeat(600), 500), `${'x'.repeat(499)}…`);
    // An "é" written as e + U+0301 across the cut stays whole: the cut moves before it.
    const accented = `${'x'.repeat(498)}e\u0301${'x'.repeat(100)}`;
    assert.equal(cutAtSpace(accented, 500), `${'x'.repeat(498)}…`);
  });
});
