/**
 * Text cut to a length limit with "…", never inside a grapheme cluster (a Devanagari conjunct, an
 * emoji with its modifiers, a letter and its combining marks stay whole). Two rules, one home:
 * {@link cutAtSpace} for the summaries normalizeArticle cuts, and {@link cutAtWordBoundary} for the
 * headlines the poller makes from feed items, which must cut Thai and Chinese between words too.
 */
import { charCount } from './limits.js';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

const words = new Intl.Segmenter(undefined, { granularity: 'word' });

/**
 * The longest prefix of whole grapheme clusters with at most `max` code points. Only the
 * cluster at the cut is looked at (`containing`): segmenting the whole text instead costs
 * about a millisecond for a 500-character summary, most of an article's ingest time.
 */
function graphemeHead(text: string, max: number): string {
  let cut = 0;
  for (let points = 0; points < max && cut < text.length; points++) {
    const unit = text.charCodeAt(cut);
    const next = text.charCodeAt(cut + 1); // NaN past the end
    cut += unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
  }
  if (cut >= text.length) return text;
  // Two ASCII characters always have a cluster boundary between them, CR LF excepted: no ICU.
  const before = text.charCodeAt(cut - 1);
  const after = text.charCodeAt(cut);
  if (before < 0x80 && after < 0x80 && !(before === 0x0d && after === 0x0a)) {
    return text.slice(0, cut);
  }
  const straddling = graphemes.segment(text).containing(cut);
  return text.slice(0, straddling ? straddling.index : cut);
}

/** Spaces and punctuation that should not come right before the "…". */
const DANGLING_END = /[\s.,;:\u2013\u2014\u2026-]+$/u;

/**
 * `text` if it has at most `max` characters, else its start cut at the last space and ended with
 * "…", `max` characters at most in all. When the last space would lose more than half (one huge
 * word, or a script written without spaces), the cut is made between two characters instead
 * (never inside a grapheme cluster, so no conjunct or combining mark is split).
 */
export function cutAtSpace(text: string, max: number): string {
  if (charCount(text) <= max) return text;
  const head = graphemeHead(text, max - 1);
  const space = text[head.length] === ' ' ? head.length : head.lastIndexOf(' ');
  const atWord = space >= head.length / 2 ? head.slice(0, space) : head;
  const tidy = atWord.replace(DANGLING_END, '');
  return `${tidy === '' ? head : tidy}…`;
}

/**
 * `text` if it has at most `max` characters, else its start cut at a word boundary and ended with
 * "…", `max` characters at most in all. Word boundaries come from ICU, so Thai and Chinese, written
 * without spaces, are cut between words too; a text whose first word alone is too long (a URL, an
 * unsegmented script) is cut between two characters (never inside a grapheme cluster).
 */
export function cutAtWordBoundary(text: string, max: number): string {
  if (charCount(text) <= max) return text;
  let head = '';
  for (const { segment } of words.segment(text)) {
    if (charCount(head + segment) > max - 1) break;
    head += segment;
  }
  const tidy = head.replace(DANGLING_END, '');
  return `${tidy === '' ? graphemeHead(text, max - 1) : tidy}…`;
}
