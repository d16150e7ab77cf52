import assert from 'node:assert/strict';
import { LOCALE_CACHE_LIMIT, localeCacheSizes } from '../../shared/relative-time.js';
import { eventually, startKhabar, subscribe, type TestKhabar } from '../helpers/khabar.js';

interface PostsBody {
  posts: { id: string; ago: string }[];
}

describe('hostile input', function () {
  this.timeout(60_000);
  let khabar: TestKhabar;
  before(async () => {
    khabar = await startKhabar();
    const posted = await khabar.postArticles({ url: 'https://example.com/a', title: 'A story' });
    assert.equal(posted.status, 202);
    await eventually(async () => {
      const { body } = await khabar.request('GET', '/api/posts?channel=top', { token: null });
      return (body as PostsBody).posts.length === 1 ? true : undefined;
    });
  });
  after(async () => {
    await khabar.close();
  });

  describe('distinct locales (each one a well-formed tag)', function () {
    it('keep the label caches bounded over 2,000 HTTP reads, every label in the locale asked', async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < 2000) {
            const n = next++;
            const { status, body } = await khabar.request(
              'GET',
              `/api/posts?channel=top&locale=hi-x-${n}`,
              { token: null },
            );
            assert.equal(status, 200);
            assert.equal((body as PostsBody).posts[0]?.ago, 'अब');
          }
        }),
      );
      const sizes = localeCacheSizes();
      assert.ok(sizes.formatters <= LOCALE_CACHE_LIMIT && sizes.resolved <= LOCALE_CACHE_LIMIT);
    });

    it('put every subscriber of one language in one room, whatever private-use tags they send', async () => {
      for (let n = 0; n < 20; n++) {
        const socket = await khabar.connect();
        const answer = await subscribe(socket, { channel: 'top', locale: `hi-x-${n}` });
        assert.equal(answer.ok, true);
      }
      const rooms = [...khabar.node.app.io.of('/').adapter.rooms.keys()].filter((room) =>
        room.startsWith('ch:top:'),
      );
      assert.deepEqual(rooms, ['ch:top:hi']);
    });
  });
});
