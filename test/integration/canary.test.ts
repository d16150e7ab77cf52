import assert from 'node:assert/strict';
import type { PostsAnswer } from '../../shared/contract/http.js';
import { eventually, startKhabar } from '../helpers/khabar.js';

describe('consumption canary', function () {
  this.timeout(30_000);

  it('replaces a worker that is alive but takes no jobs, and the waiting article becomes a post', async () => {
    const khabar = await startKhabar({ env: { CANARY_INTERVAL_MS: '500' } });
    try {
      const silent = khabar.workers!.worker;
      // A locally paused worker looks alive and takes nothing: the failure the canary is for.
      await silent.pause(true);
      const answer = await khabar.postArticles({
        url: 'https://example.com/stuck',
        title: 'Stuck behind a silent worker',
      });
      assert.equal(answer.status, 202);

      const stalled = await eventually(
        () => khabar.logs.find((l) => l.event === 'queue.canary_stalled'),
        10_000,
      );
      assert.equal(stalled.level, 50); // error: what an operator alerts on
      assert.ok(khabar.logs.some((l) => l.event === 'worker.restarted'));
      assert.notEqual(khabar.workers!.worker, silent);
      await eventually(async () => {
        const body = (await khabar.request('GET', '/api/posts')).body as PostsAnswer;
        return body.posts[0]?.title === 'Stuck behind a silent worker' ? true : undefined;
      }, 10_000);
    } finally {
      await khabar.close();
    }
  });

  it('leaves a consuming worker alone', async () => {
    const khabar = await startKhabar({ env: { CANARY_INTERVAL_MS: '500' } });
    try {
      const worker = khabar.workers!.worker;
      await eventually(
        () =>
          khabar.logs.filter((l) => l.event === 'job.completed' && l.level === 20).length >= 3 ||
          undefined,
        10_000,
      );
      assert.equal(khabar.workers!.worker, worker);
      assert.ok(!khabar.logs.some((l) => l.event === 'queue.canary_stalled'));
    } finally {
      await khabar.close();
    }
  });
});
