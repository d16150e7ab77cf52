import assert from 'node:assert/strict';
import type { ChannelState } from '../../server/realtime/channel-cache.js';
import type { Encoded } from '../../server/realtime/room-writer.js';
import { createSharedAnswers } from '../../server/realtime/shared-answers.js';

describe('shared subscribe answers', () => {
  const state = (): ChannelState => ({
    channel: 'top',
    epoch: 'e1',
    seq: 4,
    posts: [],
    events: [],
  });
  let made = 0;
  const encode = (): Encoded => ({ packet: `answer ${++made}`, frame: Buffer.from('') });
  beforeEach(() => {
    made = 0;
  });

  it('encodes an identical request once while the channel stays where it was', () => {
    const answers = createSharedAnswers<Encoded>(250);
    const top = state();
    const first = answers.get(top, 'en\n10\n', 1000, encode);
    assert.equal(answers.get(top, 'en\n10\n', 1200, encode), first);
    assert.notEqual(answers.get(top, 'hi\n10\n', 1200, encode), first, 'another locale shared');
    assert.equal(made, 2);
  });

  it('makes a new answer once the channel moves, is repaired, or the answer is too old', () => {
    const answers = createSharedAnswers<Encoded>(250);
    const top = state();
    const request = 'en\n10\n';
    answers.get(top, request, 1000, encode);
    top.seq = 5; // a new event
    assert.equal(answers.get(top, request, 1001, encode).packet, 'answer 2');
    top.posts = []; // a repair: the same position, other posts
    assert.equal(answers.get(top, request, 1002, encode).packet, 'answer 3');
    top.epoch = 'e2'; // a new history
    assert.equal(answers.get(top, request, 1003, encode).packet, 'answer 4');
    assert.equal(answers.get(top, request, 1253, encode).packet, 'answer 4');
    assert.equal(answers.get(top, request, 1254, encode).packet, 'answer 5', 'served too old');
    assert.equal(answers.get(top, request, 1000, encode).packet, 'answer 6', 'the clock went back');
    assert.equal(answers.get(state(), request, 1000, encode).packet, 'answer 7', 'another state');
  });

  it('keeps at most maxPerChannel answers, and answers the rest each on its own', () => {
    const answers = createSharedAnswers<Encoded>(250, 2);
    const top = state();
    for (const cursor of ['a', 'b', 'c', 'c']) answers.get(top, `en\n10\n${cursor}`, 1000, encode);
    assert.equal(made, 4);
    answers.get(top, 'en\n10\na', 1000, encode);
    assert.equal(made, 4);
  });
});
