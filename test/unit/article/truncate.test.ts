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
