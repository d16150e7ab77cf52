import assert from 'node:assert/strict';
import { createAcceptedJournal } from '../../server/http/accepted-journal.js';
import type { IngestJobData } from '../../shared/domain/ingest-queue.js';

const job = (n: number): IngestJobData =>
  ({ article: { id: `p${n}` }, acceptedAt: n, source: 'api' }) as unknown as IngestJobData;

describe('the journal of accepted articles', () => {
  it('hands back, oldest first, what was accepted within the window, and forgets the rest', () => {
    let now = 0;
    const journal = createAcceptedJournal({ keepMs: 1000, now: () => now });
    journal.record([job(1), job(2)]);
    now = 600;
    journal.record([job(3)]);
    assert.deepEqual(
      journal.recent().map((j) => j.acceptedAt),
      [1, 2, 3],
    );
    now = 1200;
    assert.deepEqual(
      journal.recent().map((j) => j.acceptedAt),
      [3],
    );
    now = 5000;
    assert.deepEqual(journal.recent(), []);
  });

  it('keeps at most `max` articles however fast they come', () => {
    const journal = createAcceptedJournal({ max: 100, now: () => 0 });
    for (let n = 0; n < 1000; n++) journal.record([job(n)]);
    const kept = journal.recent();
    assert.equal(kept.length, 100);
    assert.equal(kept[0]?.acceptedAt, 900);
  });

  it('counts a batch job as its articles', () => {
    const journal = createAcceptedJournal({ max: 100, now: () => 0 });
    const batch = (n: number): IngestJobData =>
      ({
        articles: Array.from({ length: 40 }, (_, i) => ({ id: `p${n}-${i}` })),
        acceptedAt: n,
        source: 'api',
      }) as unknown as IngestJobData;
    for (let n = 0; n < 10; n++) journal.record([batch(n)]);
    // 100 articles fit, so two batches of 40 and not a third.
    assert.deepEqual(
      journal.recent().map((j) => j.acceptedAt),
      [8, 9],
    );
  });
});
