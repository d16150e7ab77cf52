import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { EMPTY_EPOCH } from '../../shared/contract/cursor.js';
import type { StoredPost } from '../../shared/contract/protocol.js';
import {
  createChannelLog,
  type ChannelLog,
  type ChannelSnapshot,
} from '../../shared/domain/channel-log.js';
import { createKeys, type Keys } from '../../shared/domain/keys.js';
import { scriptsOn } from '../../shared/domain/scripts.js';
import { createSourceStore } from '../../shared/domain/sources.js';
import { uniquePrefix } from '../helpers/khabar.js';
import { keysUnder, sharedRedis } from '../helpers/redis.js';

const CHANNEL = 'world';
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const LIMITS = { recentLimit: 5, historyLimit: 100 };

/** Post `n` of {@link CHANNEL}, published `n` seconds after T0: the newest is the last added. */
function post(n: number): StoredPost {
  return {
    id: `p${n}`,
    url: `https://example.com/${n}`,
    title: `Story ${n}`,
    channels: [CHANNEL],
    publishedAt: new Date(T0 + n * 1000).toISOString(),
  };
}

/** Stores post `n` as the worker does: upsert, then prune what left the recent list. */
async function add(log: ChannelLog, n: number): Promise<void> {
  const outcome = await log.upsert(post(n), `h${n}`, T0 + n, null);
  assert.equal(outcome.status, 'applied');
  await log.prune(outcome.trimmed);
}

describe('channel log (its Lua scripts against Redis)', () => {
  let keys: Keys;
  let writer: Redis;
  let reader: Redis;

  beforeEach(() => {
    keys = createKeys(uniquePrefix());
    writer = new Redis(sharedRedis().url);
    reader = new Redis(sharedRedis().url);
  });

  afterEach(async () => {
    const left = await keysUnder(writer, keys.all);
    if (left.length) await writer.del(...left);
    writer.disconnect();
    reader.disconnect();
  });

  it('snapshots a channel as of one moment while posts are added and pruned', async () => {
    const writeLog = createChannelLog(writer, keys, LIMITS);
    const readLog = createChannelLog(reader, keys, LIMITS);
    const added = 150;
    const writing = { done: false };
    const writes = (async () => {
      for (let n = 1; n <= added; n++) await add(writeLog, n);
    })().finally(() => {
      writing.done = true;
    });
    const snapshots: ChannelSnapshot[] = [];
    while (!writing.done) snapshots.push(await readLog.snapshot(CHANNEL, LIMITS.recentLimit));
    await writes;
    snapshots.push(await readLog.snapshot(CHANNEL, LIMITS.recentLimit));

    // One post:new per post: at seq s the list holds exactly posts s, s-1, … (newest first).
    for (const { seq, posts } of snapshots) {
      const expected = [];
      for (let n = seq; n > Math.max(0, seq - LIMITS.recentLimit); n--) expected.push(`p${n}`);
      assert.deepEqual(
        posts.map((p) => p.id),
        expected,
        `the snapshot at seq ${seq}`,
      );
    }
    assert.equal(snapshots.at(-1)?.seq, added);
    assert.ok(snapshots.length > 10, `only ${snapshots.length} snapshots during the writes`);
  });

  it('answers the ids to read again when the list changed after the ids were read', async () => {
    const log = createChannelLog(writer, keys, LIMITS);
    await add(log, 1);
    await add(log, 2);
    const channelKeys = [keys.recent(CHANNEL), keys.seq(CHANNEL), keys.epoch(CHANNEL)] as const;
    const stale = await scriptsOn(reader).snapshot(
      [...channelKeys, keys.post('p1')],
      [LIMITS.recentLimit, '+inf', 'p1'],
    );
    assert.deepEqual(stale, ['retry', 'p2', 'p1']);
    const fresh = await scriptsOn(reader).snapshot(
      [...channelKeys, keys.post('p2'), keys.post('p1')],
      [LIMITS.recentLimit, '+inf', 'p2', 'p1'],
    );
    assert.ok(Array.isArray(fresh));
    assert.equal(fresh[0], 'ok');
    assert.equal(fresh[2], '2');
    assert.equal(fresh.length, 5);
  });

  it('snapshots a channel that has no history yet with the empty epoch', async () => {
    const snapshot = await createChannelLog(reader, keys, LIMITS).snapshot(CHANNEL, 5);
    assert.deepEqual(snapshot, { epoch: EMPTY_EPOCH, seq: 0, posts: [] });
  });

  it('runs its scripts again after Redis forgot them (SCRIPT FLUSH, or a restart)', async () => {
    const log = createChannelLog(writer, keys, LIMITS);
    const sources = createSourceStore(writer, keys);
    await add(log, 1);
    await sources.saveState('s-gone', { consecutiveErrors: 0, nextPollAt: '2026-01-01T00:00:00Z' });
    await writer.script('FLUSH');

    await add(log, 2);
    const snapshot = await createChannelLog(writer, keys, LIMITS).snapshot(CHANNEL, 5);
    assert.deepEqual(
      snapshot.posts.map((p) => p.id),
      ['p2', 'p1'],
    );
    await sources.saveState('s-gone', { consecutiveErrors: 1, nextPollAt: '2026-01-01T00:00:00Z' });
    // A poll that ends after its source was deleted does not bring the source back.
    assert.deepEqual(await writer.hgetall(keys.source('s-gone')), {});
  });
});
