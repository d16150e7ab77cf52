import assert from 'node:assert/strict';
import type { ErrorAnswer, PostsAnswer } from '../../shared/contract/http.js';
import { escapeHtml } from '../../shared/domain/html-text.js';
import { eventually, startKhabar, type TestKhabar } from '../helpers/khabar.js';

const MINUTE = 60_000;
const CHANNEL = 'bihar';

describe('GET /embed/:channel', function () {
  let khabar: TestKhabar;

  before(async () => {
    khabar = await startKhabar();
    const now = Date.now();
    // 5, 10, … 50 minutes ago, each half a minute into its minute so no label changes while the
    // test compares the fragment with GET /api/posts.
    const articles = Array.from({ length: 10 }, (_, i) => ({
      url: `https://example.com/embed/${i + 1}`,
      title: `बाढ़ की चेतावनी ${i + 1} & "more"`,
      summary: i % 2 === 0 ? `Summary ${i + 1}` : undefined,
      channels: [CHANNEL],
      publishedAt: new Date(now - (i + 1) * 5 * MINUTE - MINUTE / 2).toISOString(),
    }));
    const accepted = await khabar.postArticles({ articles });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    await eventually(async () => {
      const { body } = await khabar.request('GET', `/api/posts?channel=${CHANNEL}&limit=50`);
      return (body as PostsAnswer).posts.length === 10 ? true : undefined;
    });
  });
  after(async () => {
    await khabar.close();
  });

  function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${khabar.url}${path}`, { headers });
  }

  it('answers the posts as an HTML list with the same Hindi labels as GET /api/posts', async () => {
    const response = await get(`/embed/${CHANNEL}?locale=hi`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'public, max-age=5');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    const html = await response.text();
    console.log(`      fragment for 10 posts (locale=hi): ${Buffer.byteLength(html)} bytes`);

    const { posts, cursor } = (
      await khabar.request('GET', `/api/posts?channel=${CHANNEL}&locale=hi`)
    ).body as PostsAnswer;
    assert.equal(posts.length, 10);
    assert.equal(
      html.split('\n', 1)[0],
      `<ol class="khabar-embed" lang="hi" aria-label="हाल की पोस्ट: bihar" data-channel="bihar"` +
        ` data-cursor="${cursor}" data-limit="10">`,
    );
    assert.equal(html.match(/<li /g)?.length, 10);
    assert.doesNotMatch(html, /<script|\son\w+\s*=|\sstyle\s*=/i);
    const items = html.split('\n').filter((line) => line.startsWith('<li '));
    posts.forEach((post, i) => {
      assert.match(post.ago, /मिनट पहले$/);
      const summary = post.summary === undefined ? '' : `<p>${escapeHtml(post.summary)}</p>`;
      assert.equal(
        items[i],
        `<li data-id="${post.id}"><a href="${post.url}">${escapeHtml(post.title)}</a>${summary}` +
          `<time datetime="${post.publishedAt}">${post.ago}</time></li>`,
      );
    });
  });

  it('takes limit 1–50, 10 by default, with /api/posts-style messages', async () => {
    const count = async (query: string): Promise<number | undefined> =>
      (await (await get(`/embed/${CHANNEL}${query}`)).text()).match(/<li /g)?.length;
    assert.equal(await count('?limit=3'), 3);
    assert.equal(await count(''), 10);
    for (const [limit, message] of [
      ['0', 'limit must be at least 1, such as limit=10.'],
      ['51', 'limit must be at most 50, such as limit=10.'],
      ['2.5', 'limit must be a whole number from 1 to 50, such as limit=10.'],
    ] as const) {
      const { status, body } = await khabar.request('GET', `/embed/${CHANNEL}?limit=${limit}`);
      assert.equal(status, 400, limit);
      assert.equal((body as ErrorAnswer).message, message);
    }
  });

  it('revalidates with its ETag: 304 on If-None-Match, 200 with a new tag for other content', async () => {
    const first = await get(`/embed/${CHANNEL}?locale=hi`);
    const etag = first.headers.get('etag');
    assert.match(etag ?? '', /^"[\w-]{27}"$/);
    await first.arrayBuffer();

    const again = await get(`/embed/${CHANNEL}?locale=hi`, { 'if-none-match': etag! });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('etag'), etag);
    assert.equal(again.headers.get('cache-control'), 'public, max-age=5');
    assert.equal(await again.text(), '');

    const listed = await get(`/embed/${CHANNEL}?locale=hi`, {
      'if-none-match': `"other", W/${etag!}`,
    });
    assert.equal(listed.status, 304);

    const english = await get(`/embed/${CHANNEL}?locale=en`, { 'if-none-match': etag! });
    assert.equal(english.status, 200);
    assert.notEqual(english.headers.get('etag'), etag);
    assert.match(await english.text(), /aria-label="Recent posts: bihar"/);
  });

  it('refuses a malformed channel with the same error as GET /api/posts', async () => {
    const embed = await khabar.request('GET', '/embed/Not_A_Slug');
    const posts = await khabar.request('GET', '/api/posts?channel=Not_A_Slug');
    assert.equal(embed.status, 400);
    assert.equal(posts.status, 400);
    assert.equal((embed.body as ErrorAnswer).error, (posts.body as ErrorAnswer).error);
    assert.match(
      (embed.body as ErrorAnswer).message,
      /^channel must be a slug of lowercase letters, digits and dashes, such as \/embed\/bihar\.$/,
    );
  });

  it('answers an empty list for an unknown channel', async () => {
    const response = await get('/embed/nobody-posts-here');
    assert.equal(response.status, 200);
    assert.equal(
      await response.text(),
      '<ol class="khabar-embed" lang="en" aria-label="Recent posts: nobody-posts-here"' +
        ' data-channel="nobody-posts-here" data-cursor="0-0" data-limit="10">\n</ol>\n',
    );
  });
});
