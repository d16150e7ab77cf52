/**
 * The one payload of every scenario: a post event of about 1 KB, the same bytes for the
 * baselines as Khabar pushes for the article below. The receiver finds the article's number
 * in its title (`"title":"bench 42"`) without parsing the JSON.
 */

export const BENCH_CHANNEL = 'bench';

/** About 490 characters, as a sidebar excerpt is: cut by Khabar at 500 at a word. */
const SUMMARY =
  'India News Bihar: the district administration said on Tuesday that relief camps along the ' +
  'embankment will stay open through the week, as the river is expected to stay above the ' +
  'danger mark until the weekend. Officials asked residents of low-lying villages to move ' +
  'to higher ground, and boats have been kept ready at every ghat. Schools in the affected ' +
  'blocks will remain closed, and the health department has set up mobile clinics to check ' +
  'for water-borne disease in the camps before the water recedes.';

/** What a producer POSTs to Khabar for article `n` of a run. */
export function benchArticle(n: number, run: string): Record<string, unknown> {
  return {
    url: `https://bench.example.com/${run}/story-${n}`,
    title: `bench ${n}`,
    summary: SUMMARY,
    author: 'Khabar Bench Desk',
    imageUrl: `https://bench.example.com/${run}/story-${n}.jpg`,
    channel: BENCH_CHANNEL,
    lang: 'en',
  };
}

/** The `post:new` payload Khabar pushes for article `n`, as the baselines send it. */
export function benchEvent(n: number, run: string, at: Date): Record<string, unknown> {
  const article = benchArticle(n, run);
  return {
    channel: BENCH_CHANNEL,
    seq: n,
    cursor: `mbench0000-${n}`,
    post: {
      id: `pBench${String(n).padStart(17, '0')}`,
      url: article.url,
      title: article.title,
      summary: article.summary,
      author: article.author,
      channels: [BENCH_CHANNEL],
      imageUrl: article.imageUrl,
      lang: 'en',
      publishedAt: at.toISOString(),
      ago: 'just now',
    },
  };
}

const TITLE = Buffer.from('"title":"bench ');

/** The article number in a received frame, or -1 when it holds none. */
export function articleNumber(frame: Buffer, from = 0): number {
  const at = frame.indexOf(TITLE, from);
  if (at === -1) return -1;
  let n = 0;
  for (let i = at + TITLE.length; i < frame.length; i++) {
    const digit = (frame[i] as number) - 48;
    if (digit < 0 || digit > 9) return n;
    n = n * 10 + digit;
  }
  return -1;
}

const PUBLISHED_AT = Buffer.from('"publishedAt":"');

/**
 * The article's `publishedAt` (epoch ms) in a received frame: for Khabar the moment the API
 * accepted it (no producer date is sent), for a baseline the moment of its broadcast call.
 */
export function publishedAtMs(frame: Buffer, from = 0): number {
  const at = frame.indexOf(PUBLISHED_AT, from);
  if (at === -1) return Number.NaN;
  const start = at + PUBLISHED_AT.length;
  return Date.parse(frame.toString('latin1', start, start + 24));
}
