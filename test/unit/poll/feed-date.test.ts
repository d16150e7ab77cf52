import assert from 'node:assert/strict';
import { parseFeedDate, readFeedDate } from '../../../workers/poll/feed-date.js';

describe('parseFeedDate', () => {
  const cases: readonly (readonly [string, string | undefined])[] = [
    ['Sat, 16 Dec 2023 14:02:33 GMT', '2023-12-16T14:02:33.000Z'],
    ['Sat, 16 Dec 2023 14:02:33 +0000', '2023-12-16T14:02:33.000Z'],
    ['Mon, 31 Mar 2025 14:53:56 +0530', '2025-03-31T09:23:56.000Z'],
    ['Thu, 07 Dec 17 10:00:29 -0800', '2017-12-07T18:00:29.000Z'],
    ['Wed, 02 Oct 2002 08:00:00 EST', '2002-10-02T13:00:00.000Z'],
    ['Wed, 02 Oct 2002 08:00:00 EDT', '2002-10-02T12:00:00.000Z'],
    ['Wed, 02 Oct 2002 08:00:00 PST', '2002-10-02T16:00:00.000Z'],
    ['Wed, 02 Oct 2002 08:00:00 PDT', '2002-10-02T15:00:00.000Z'],
    ['Wed, 02 Oct 2002 08:00:00 CET', '2002-10-02T07:00:00.000Z'],
    ['Wed, 02 Oct 2002 08:00:00 CEST', '2002-10-02T06:00:00.000Z'],
    ['Wed, 02 Oct 2002 08:00:00 BST', '2002-10-02T07:00:00.000Z'],
    ['Wed, 02 Oct 2002 08:00:00 JST', '2002-10-01T23:00:00.000Z'],
    ['Wed, 02 Oct 2002 08:00:00 IST', '2002-10-02T02:30:00.000Z'],
    ['Wed, 02 Oct 2002 08:00 UT', '2002-10-02T08:00:00.000Z'],
    ['2 Oct 2002 08:00:00 +05:30', '2002-10-02T02:30:00.000Z'],
    ['2023-12-16T14:02:33Z', '2023-12-16T14:02:33.000Z'],
    ['2023-12-16T14:02:33+05:30', '2023-12-16T08:32:33.000Z'],
    ['2023-12-16T14:02:33.123-0800', '2023-12-16T22:02:33.123Z'],
    ['2022-07-28T03:40:34.000000000Z', '2022-07-28T03:40:34.000Z'],
    ['2022-07-28T03:40:34.123456789Z', '2022-07-28T03:40:34.123Z'],
    ['2018-01-01 12:34:56', '2018-01-01T12:34:56.000Z'],
    ['2023-12-16', '2023-12-16T00:00:00.000Z'],
    ['Sun, 30Mar 2025 12:41:13 +0530', '2025-03-30T07:11:13.000Z'],
    ['Mon, 31 Mar 202510:50:41 +0530', '2025-03-31T05:20:41.000Z'],
    ['Seg, 24 Set 2018 19:42:40 -0300', '2018-09-24T22:42:40.000Z'],
    ['mer, 16 nov 2022 10:53:51 +0100', '2022-11-16T09:53:51.000Z'],
    ['mar, 15 nov 2022 10:00:00 +0100', '2022-11-15T09:00:00.000Z'],
    ['Di, 15 Okt 2019 08:30:00 +0200', '2019-10-15T06:30:00.000Z'],
    ['Mi, 3 Mär 2021 12:00:00 +0100', '2021-03-03T11:00:00.000Z'],
    ['Τρι, 29 Ιούν 2004 12:53:00 GMT', '2004-06-29T12:53:00.000Z'],
    ['Sat, Dec 16 2023 02:02:33 PM', '2023-12-16T14:02:33.000Z'],
    ['Sat, Dec 16 2023 12:15:00 AM', '2023-12-16T00:15:00.000Z'],
    // An offset glued to GMT or UTC is the offset (Indian publishers write "GMT+0530").
    ['Sun, 30 Mar 2025 12:41:13 GMT+0530', '2025-03-30T07:11:13.000Z'],
    ['Sun, 30 Mar 2025 12:41:13 GMT-07:00', '2025-03-30T19:41:13.000Z'],
    ['Sun, 30 Mar 2025 12:41:13 UTC+05:30', '2025-03-30T07:11:13.000Z'],
    ['Sun, 30 Mar 2025 12:41:13 GMT+5', '2025-03-30T07:41:13.000Z'],
    ['Sun, 30 Mar 2025 12:41:13 +0530 (IST)', '2025-03-30T07:11:13.000Z'],
    // A weekday is never the month: "mar." is Tuesday in French, Spanish and Italian.
    ['mar., 01 déc. 2020 10:00:00 +0100', '2020-12-01T09:00:00.000Z'],
    ['mar., 15 sept. 2020 08:30:00 +0200', '2020-09-15T06:30:00.000Z'],
    ['mar. 01 déc. 2020 10:00:00 +0100', '2020-12-01T09:00:00.000Z'],
    ['mar., 01 dic. 2020', '2020-12-01T00:00:00.000Z'],
    ['01 déc. 2020 mar.', '2020-12-01T00:00:00.000Z'],
    ['mar. 04 mars 2025 10:00:00 +0100', '2025-03-04T09:00:00.000Z'],
    ['Tue, 04 Mar 2025 10:00:00 GMT', '2025-03-04T10:00:00.000Z'],
    // US zones beyond RFC 822's; the generic ones follow daylight saving time by the date.
    ['Tue, 10 Jun 2025 09:00:00 ET', '2025-06-10T13:00:00.000Z'],
    ['Fri, 10 Jan 2025 09:00:00 ET', '2025-01-10T14:00:00.000Z'],
    ['Sun, 09 Mar 2025 01:59:00 ET', '2025-03-09T06:59:00.000Z'],
    ['Sun, 09 Mar 2025 03:00:00 ET', '2025-03-09T07:00:00.000Z'],
    ['Sun, 02 Nov 2025 00:30:00 ET', '2025-11-02T04:30:00.000Z'],
    ['Sun, 02 Nov 2025 02:30:00 ET', '2025-11-02T07:30:00.000Z'],
    ['Mon, 03 Apr 2006 09:00:00 ET', '2006-04-03T13:00:00.000Z'],
    ['Mon, 20 Mar 2006 09:00:00 ET', '2006-03-20T14:00:00.000Z'],
    ['Tue, 10 Jun 2025 09:00:00 PT', '2025-06-10T16:00:00.000Z'],
    ['Fri, 10 Jan 2025 09:00:00 CT', '2025-01-10T15:00:00.000Z'],
    ['Tue, 10 Jun 2025 09:00:00 MT', '2025-06-10T15:00:00.000Z'],
    ['Fri, 10 Jan 2025 09:00:00 AT', '2025-01-10T13:00:00.000Z'],
    ['Fri, 10 Jan 2025 09:00:00 HAST', '2025-01-10T19:00:00.000Z'],
    ['Fri, 10 Jan 2025 09:00:00 HST', '2025-01-10T19:00:00.000Z'],
    ['Tue, 10 Jun 2025 09:00:00 AKDT', '2025-06-10T17:00:00.000Z'],
    ['Fri, 10 Jan 2025 09:00:00 NST', '2025-01-10T12:30:00.000Z'],
    ['Tue, 10 Jun 2025 09:00:00 NDT', '2025-06-10T11:30:00.000Z'],
    ['Tue, 10 Jun 2025 09:00:00 ADT', '2025-06-10T12:00:00.000Z'],
    // Partial ISO dates are the first instant they name; a two-digit year is ambiguous.
    ['2003-12', '2003-12-01T00:00:00.000Z'],
    ['2003', '2003-01-01T00:00:00.000Z'],
    ['2023/12/16', '2023-12-16T00:00:00.000Z'],
    ['03-12-31', undefined],
    ['1234', undefined],
    ['2003-13', undefined],
    // Korean (in Korea's time, +09:00) and Hungarian.
    ['2004-05-25 오후 11:23:17', '2004-05-25T14:23:17.000Z'],
    ['2004-05-25 오전 11:23:17', '2004-05-25T02:23:17.000Z'],
    ['2004-05-25 오후 12:00:00', '2004-05-25T03:00:00.000Z'],
    ['2004-05-25 오전 12:00:00', '2004-05-24T15:00:00.000Z'],
    ['2004-05-25 오후 13:00:00', undefined],
    ['2004년 05월 28일 01:31:15', '2004-05-27T16:31:15.000Z'],
    ['2004-július-31T12:00:00+02:00', '2004-07-31T10:00:00.000Z'],
    ['2004-május-05T08:30+02:00', '2004-05-05T06:30:00.000Z'],
    ['2004-szeptember-01', '2004-09-01T00:00:00.000Z'],
    ['2004-foo-31T12:00:00+02:00', undefined],
    // Nonsense is rejected rather than half read.
    ['1:2:3:4', undefined],
    ['Sun, 30 Mar 2025 12:41:13 +zz:00', undefined],
    ['Sun, 30 Mar 2025 12:41:13 +99:00', undefined],
    ['2004-02-28T18:14:55+zz:00', undefined],
    ['Sun, 30 Mar 2025 12:41:13 1:2:3:4', undefined],
    ['1518478934', '2018-02-12T23:42:14.000Z'],
    ['1518478934000', '2018-02-12T23:42:14.000Z'],
    ['', undefined],
    ['not a date', undefined],
    ['Sat, 32 Dec 2023 14:02:33 GMT', undefined],
    ['Sat, 16 Foo 2023 14:02:33 GMT', undefined],
    ['2023-13-01T00:00:00Z', undefined],
    ['2023-02-29T00:00:00Z', undefined],
    ['Sat, 16 Dec 2023 25:00:00 GMT', undefined],
    ['12345', undefined],
    ['x'.repeat(10_000), undefined],
    ['\u0000\uFFFD\uD800', undefined],
  ];

  for (const [input, expected] of cases) {
    const label = input.length > 40 ? `${input.slice(0, 20)}… (${input.length} chars)` : input;
    it(`reads ${JSON.stringify(label)} as ${expected ?? 'undefined'}`, () => {
      const time = parseFeedDate(input);
      assert.equal(time === undefined ? undefined : new Date(time).toISOString(), expected);
    });
  }

  it('says when it read an unknown zone as UTC', () => {
    assert.deepEqual(readFeedDate('Tue, 10 Jun 2025 09:00:00 XYZ'), {
      time: Date.parse('2025-06-10T09:00:00Z'),
      notice: 'unknown time zone "XYZ", read as UTC',
    });
  });

  it('gives no notice for known zones, offsets, or no zone at all', () => {
    for (const text of [
      'Tue, 10 Jun 2025 09:00:00 GMT',
      'Tue, 10 Jun 2025 09:00:00 PT',
      'Tue, 10 Jun 2025 09:00:00 +0200 MESZ',
      'Tue, 10 Jun 2025 09:00:00',
      'Sat, Dec 16 2023 02:02:33 PM',
      '2025-06-10T09:00:00Z',
    ]) {
      const date = readFeedDate(text);
      assert.ok(date !== undefined, text);
      assert.equal(date.notice, undefined, text);
    }
  });
});
