/**
 * Dates as feeds really send them: RFC 822/1123 (RSS), RFC 3339/ISO 8601 (Atom, JSON Feed, dc:date)
 * and the broken forms seen in the wild (missing spaces, localized day and month names, US order
 * with AM/PM and no zone, Unix timestamps). Like Miniflux's date parser, it tries hard and gives up
 * quietly: a date it cannot read is `undefined`, never an exception, so one bad pubDate never costs
 * a feed its other items.
 */
import { daysInMonth } from '../../shared/domain/article/dates.js';

/**
 * Offsets of the zone names feeds use, in minutes east of UTC. RFC 822 defines UT/GMT and the US
 * zones; the rest are the abbreviations publishers write anyway. Where a name is ambiguous the
 * reading of the feeds we serve wins: IST is India (+05:30), not Ireland or Israel; CST is US
 * Central (RFC 822), not China.
 */
const ZONES: Readonly<Record<string, number>> = {
  UT: 0,
  UTC: 0,
  GMT: 0,
  Z: 0,
  WET: 0,
  EST: -300,
  EDT: -240,
  CST: -360,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
  AKST: -540,
  AKDT: -480,
  HST: -600,
  AST: -240,
  ADT: -180,
  NST: -210,
  NDT: -150,
  BRT: -180,
  ART: -180,
  BST: 60,
  CET: 60,
  MET: 60,
  WEST: 60,
  WAT: 60,
  CEST: 120,
  MEST: 120,
  EET: 120,
  CAT: 120,
  SAST: 120,
  EEST: 180,
  EAT: 180,
  MSK: 180,
  PKT: 300,
  IST: 330,
  NPT: 345,
  ICT: 420,
  WIB: 420,
  HKT: 480,
  SGT: 480,
  PHT: 480,
  AWST: 480,
  JST: 540,
  KST: 540,
  ACST: 570,
  AEST: 600,
  ACDT: 630,
  AEDT: 660,
  NZST: 720,
  NZDT: 780,
};

/**
 * Month names and abbreviations, lower-case and without accents, in the languages of the feeds we
 * read (English, Portuguese, Spanish, Italian, French, German, Dutch, Greek, Russian). A token is
 * looked up by its first four letters, then its first three, so "setembro", "Sept." and "set" are
 * all September, and French "juin"/"juil" stay apart.
 */
const MONTHS: ReadonlyMap<string, number> = new Map(
  (
    [
      [1, 'jan ene gen janv ιαν янв'],
      [2, 'feb fev fevr φεβ фев'],
      [3, 'mar mrz mrt μαρ мар'],
      [4, 'apr abr avr απρ апр'],
      [5, 'may mai mag mei μαι мая май'],
      [6, 'jun giu juin ιουν июн'],
      [7, 'jul lug juil ιουλ июл'],
      [8, 'aug ago aou αυγ авг'],
      [9, 'sep set σεπ сен'],
      [10, 'oct okt ott out οκτ окт'],
      [11, 'nov νοε ноя'],
      [12, 'dec dez dic δεκ дек'],
    ] as const
  ).flatMap(([month, names]) => names.split(' ').map((name) => [name, month] as const)),
);

/** RFC 3339 / ISO 8601 with a `T` or a space; seconds, fraction (any length) and zone optional. */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** A numeric zone: `+0530`, `-08:00`, `+5`, `+05`. */
const NUMERIC_ZONE = /^([+-])(\d{1,2})(?::?(\d{2}))?$/;

/** Longest text worth looking at: real dates are short, and this bounds the work on junk. */
const MAX_LENGTH = 100;

/** Epoch ms of a UTC wall-clock time minus `offsetMinutes`, or undefined when out of range. */
function toEpoch(
  parts: { year: number; month: number; day: number; hour: number; minute: number; second: number },
  millis: number,
  offsetMinutes: number,
): number | undefined {
  const { year, month, day, hour, minute } = parts;
  // A leap second (":60") is read as the last second of the minute.
  const second = Math.min(parts.second, 59);
  const valid =
    year >= 1000 &&
    year <= 9999 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 24 &&
    minute <= 59 &&
    parts.second <= 60 &&
    (hour < 24 || minute + second + millis === 0);
  if (!valid) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  return date.getTime() - offsetMinutes * 60_000;
}

function parseNumericZone(text: string): number | undefined {
  const match = NUMERIC_ZONE.exec(text);
  if (match === null) return undefined;
  const hours = Number(match[2]);
  const minutes = Number(match[3] ?? '0');
  if (hours > 23 || minutes > 59) return undefined;
  return (match[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

function parseIso(text: string): number | undefined {
  const match = ISO.exec(text);
  if (match === null) return undefined;
  const num = (index: number): number => Number(match[index] ?? '0');
  // Nanosecond fractions (Google News sends nine digits) are cut to milliseconds.
  const millis = Number((match[7] ?? '').slice(0, 3).padEnd(3, '0'));
  const zone = match[8];
  // No zone at all: read as UTC, the only reading that does not depend on where we run.
  const offset = zone === undefined || /^z$/i.test(zone) ? 0 : parseNumericZone(zone);
  if (offset === undefined) return undefined;
  const parts = {
    year: num(1),
    month: num(2),
    day: num(3),
    hour: num(4),
    minute: num(5),
    second: num(6),
  };
  return toEpoch(parts, millis, offset);
}

/** A month number for a word in any of the {@link MONTHS} languages, or undefined. */
function monthOf(word: string): number | undefined {
  const key = word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\.$/, '');
  if (key.length < 3) return undefined;
  return MONTHS.get(key.slice(0, 4)) ?? MONTHS.get(key.slice(0, 3));
}

function parseUnix(text: string): number | undefined {
  if (!/^\d{9,13}$/.test(text)) return undefined;
  const value = Number(text);
  // Ten digits or fewer are seconds (until the year 2286); twelve or more are milliseconds.
  return text.length <= 11 ? value * 1000 : value;
}

/**
 * RFC 822 and its relatives, read token by token so that the order of day and month, missing
 * spaces, localized names and a missing zone do not matter.
 */
function parseTextual(input: string): number | undefined {
  const text = input
    // "Mon, 31 Mar 202510:50:41": a four-digit year glued to the time.
    .replace(/(\d{4})(\d{1,2}:\d{2})/g, '$1 $2')
    // "30Mar", "12:00:00GMT": digits glued to letters.
    .replace(/(\d)(\p{L})/gu, '$1 $2')
    .replace(/(\p{L})(\d)/gu, '$1 $2')
    .replace(/,/g, ' ');
  let tokens = text.split(/\s+/).filter((token) => token !== '');
  // A leading weekday in any language ("Sat", "Seg", "mer", "Τρι"): it is followed by a comma,
  // or by the month name. Dropping it keeps Italian "mar" (Tuesday) from being read as March.
  const first = tokens[0] ?? '';
  const second = tokens[1] ?? '';
  if (/^\p{L}+\.?$/u.test(first) && (/^\p{L}+,/u.test(input.trim()) || /^\p{L}/u.test(second))) {
    tokens = tokens.slice(1);
  }

  let month: number | undefined;
  const numbers: string[] = [];
  let time: string | undefined;
  let meridiem: 'am' | 'pm' | undefined;
  let offset: number | undefined;
  for (const token of tokens) {
    if (/^\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?$/.test(token)) {
      time ??= token;
    } else if (/^\d+$/.test(token)) {
      numbers.push(token);
    } else if (/^[ap]\.?m\.?$/i.test(token)) {
      meridiem = token[0]?.toLowerCase() === 'a' ? 'am' : 'pm';
    } else if (/^[+-]\d{1,2}(?::?\d{2})?$/.test(token)) {
      // "GMT+0530" comes apart into "GMT" and "+0530": the numeric part is the offset.
      offset = parseNumericZone(token) ?? offset;
    } else if (time !== undefined && Object.hasOwn(ZONES, token.toUpperCase())) {
      offset ??= ZONES[token.toUpperCase()];
    } else if (month === undefined) {
      month = monthOf(token);
    }
    // Any other word (a weekday, "th", an unknown zone name) is ignored: an unknown zone
    // after a valid time is read as UTC, as feedparser does.
  }
  if (month === undefined) return undefined;

  const fourDigit = numbers.find((n) => n.length === 4);
  const small = numbers.filter((n) => n.length <= 2);
  const day = small[0];
  // A two-digit year ("Thu, 07 Dec 17") is the only way a second small number appears.
  const yearText = fourDigit ?? small[1];
  if (day === undefined || yearText === undefined || numbers.length > 2) return undefined;
  let year = Number(yearText);
  if (yearText.length === 2) year += year < 50 ? 2000 : 1900;

  const [h = '0', m = '0', s = '0'] = (time ?? '0:00').split(':');
  let hour = Number(h);
  const secondsPart = s.split(/[.,]/);
  const millis = Number((secondsPart[1] ?? '').slice(0, 3).padEnd(3, '0'));
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (meridiem === 'pm' ? 12 : 0);
  }
  const parts = {
    year,
    month,
    day: Number(day),
    hour,
    minute: Number(m),
    second: Number(secondsPart[0]),
  };
  return toEpoch(parts, millis, offset ?? 0);
}

/**
 * The instant a feed date names, in epoch milliseconds, or `undefined` when the text is not a date
 * this parser can read. Never throws.
 *
 * Reads RFC 822/1123 (`Sat, 16 Dec 2023 14:02:33 GMT`, numeric offsets, zone names such as IST =
 * +05:30, EST, PDT, CET, CEST, BST, JST), RFC 3339/ISO 8601 with any fraction length
 * (`2022-07-28T03:40:34.000000000Z`), and the broken forms real feeds send: missing spaces
 * (`Sun, 30Mar 2025 12:41:13 +0530`, `Mon, 31 Mar 202510:50:41 +0530`), localized day and month
 * names (`Seg, 24 Set 2018`, `mer, 16 nov 2022`, `Di, 15 Okt 2019`, Greek), US order with AM/PM
 * (`Sat, Dec 16 2023 02:02:33 PM`), two-digit years, and Unix timestamps in seconds or
 * milliseconds. A date without a zone is read as UTC.
 *
 * @example parseFeedDate('Sat, 16 Dec 2023 14:02:33 GMT') // 1702735353000
 */
export function parseFeedDate(text: string): number | undefined {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  if (trimmed === '' || trimmed.length > MAX_LENGTH) return undefined;
  const time =
    parseUnix(trimmed) ?? parseIso(trimmed.replace(/^(\d{4})\/(\d{2})\/(\d{2})/, '$1-$2-$3'));
  const result = time ?? parseTextual(trimmed);
  return result !== undefined && Number.isFinite(result) ? result : undefined;
}
