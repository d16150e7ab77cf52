import assert from 'node:assert/strict';
import {
  eventually,
  startKhabar,
  TEST_TOKEN,
  type LogLine,
  type TestKhabar,
} from '../helpers/khabar.js';

/** The lines logged with `reqId`, grouped by it, after `from`. */
function byRequest(khabar: TestKhabar, from: number): Map<string, LogLine[]> {
  const groups = new Map<string, LogLine[]>();
  for (const line of khabar.logs.slice(from)) {
    if (typeof line.reqId !== 'string') continue;
    groups.set(line.reqId, [...(groups.get(line.reqId) ?? []), line]);
  }
  return groups;
}

describe('request logs', function () {
  let khabar: TestKhabar;
  before(async () => {
    khabar = await startKhabar({ env: { INGEST_RATE_LIMIT: '0' } });
  });
  after(async () => {
    await khabar.close();
  });

  it("carries one reqId on every line of a request, the route's and its own", async () => {
    const from = khabar.logs.length;
    const answer = await khabar.postArticles({
      articles: [{ url: 'https://example.com/req/1', title: 'Logged' }, { title: 'No URL' }],
    });
    assert.equal(answer.status, 202);
    await khabar.request('GET', '/api/posts');
    const finished = (line: LogLine): boolean =>
      line.event === 'http.request' && line.method === 'POST';
    const lines = await eventually(() => {
      const post = [...byRequest(khabar, from).values()].find((group) => group.some(finished));
      return post?.length === 3 ? post : undefined;
    });
    assert.deepEqual(lines.map((l) => l.event).sort(), [
      'http.request',
      'ingest.rejected',
      'job.added',
    ]);
    const [first] = lines;
    assert.match(String(first?.reqId), /^[0-9a-f-]{36}$/u);
    const done = lines.find(finished);
    assert.equal(done?.level, 20, 'a normal request is logged at debug only');
    assert.equal(done.url, '/api/articles');
    assert.equal(done.status, 202);
    assert.equal(typeof done.responseTime, 'number');
    assert.equal(byRequest(khabar, from).size, 2, 'the GET has an id of its own');
  });

  it("gives the error handler's lines the request's id, and never logs the token", async () => {
    const from = khabar.logs.length;
    const answer = await khabar.postArticles(undefined, { raw: '{"title": ' });
    assert.equal(answer.status, 400);
    const lines = await eventually(() => {
      const group = [...byRequest(khabar, from).values()][0];
      return group?.length === 2 ? group : undefined;
    });
    assert.deepEqual(lines.map((l) => l.event).sort(), ['http.bad_request', 'http.request']);
    assert.equal(lines[0]?.reqId, lines[1]?.reqId);
    assert.doesNotMatch(JSON.stringify(khabar.logs.slice(from)), new RegExp(TEST_TOKEN));
  });

  it('logs nothing for a normal request at info', async () => {
    const quiet = await startKhabar({ env: { LOG_LEVEL: 'info' }, workers: false });
    try {
      const from = quiet.logs.length;
      assert.equal((await quiet.request('GET', '/api/posts')).status, 200);
      assert.equal((await quiet.request('GET', '/healthz')).status, 200);
      const requestLines = quiet.logs
        .slice(from)
        .filter((line) => line.reqId !== undefined || line.event?.startsWith('http.'));
      assert.deepEqual(requestLines, []);
    } finally {
      await quiet.close();
    }
  });
});
