import type { ChannelState } from './channel-cache.js';

/**
 * Subscribe answers that many connections share, encoded once.
 *
 * When a node restarts or the network blips, a page's readers all come back within a second or
 * two, each with the same request: the same channel, limit and locale, and the same last cursor.
 * Their answers are the same too, byte for byte, but for `serverTime` and the `ago` labels, which
 * move with the clock. So an answer, once encoded, is reused for identical requests while the
 * channel is where it was (the same state at the same position) and for at most `maxAgeMs`: its
 * `serverTime` is then that much older than the moment it is written, which is less than the time
 * it waits in a busy node's write queue anyway, and its minute-grained labels are the same.
 * In `npm run bench`'s storm (5,000 readers of one channel back at once, 5 posts missed) the
 * reconnection took 1.29–1.43× the baseline's without sharing and 1.03–1.20× with it (3 rounds
 * each, `--only storm`). What is kept is the encoded form, whichever it is: a `subscribed` event's
 * frame (a subscribe in the handshake), or an ack's JSON (encoded-acks.ts).
 */
export interface SharedAnswers<Answer> {
  /** The answer to `request` at `state`'s position: reused if fresh, else made by `encode`. */
  get(state: ChannelState, request: string, at: number, encode: () => Answer): Answer;
}

interface Generation<Answer> {
  epoch: string;
  seq: number;
  /** A repair may replace the posts at the same position: they are part of the key too. */
  posts: ChannelState['posts'];
  madeAt: number;
  answers: Map<string, Answer>;
}

export function createSharedAnswers<Answer>(
  maxAgeMs = 250,
  maxPerChannel = 64,
): SharedAnswers<Answer> {
  // Keyed by the state object: a channel dropped from the cache takes its answers with it.
  const generations = new WeakMap<ChannelState, Generation<Answer>>();

  return {
    get(state, request, at, encode) {
      let generation = generations.get(state);
      if (
        !generation ||
        generation.epoch !== state.epoch ||
        generation.seq !== state.seq ||
        generation.posts !== state.posts ||
        at - generation.madeAt > maxAgeMs ||
        at < generation.madeAt
      ) {
        generation = {
          epoch: state.epoch,
          seq: state.seq,
          posts: state.posts,
          madeAt: at,
          answers: new Map(),
        };
        generations.set(state, generation);
      }
      const known = generation.answers.get(request);
      if (known) return known;
      const encoded = encode();
      // Requests that vary (many cursors, limits, locales) are answered each on its own.
      if (generation.answers.size < maxPerChannel) generation.answers.set(request, encoded);
      return encoded;
    },
  };
}
