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
  HAST: -600,
  HADT: -540,
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
 * North American zone names without "standard" or "daylight" ("ET", "PT"), as news sites write
 * them: the standard offset, in minutes east of UTC. Which of the two applies depends on the date,
 * so {@link genericZoneOffset} works it out by the US and Canadian rules.
 */
const GENERIC_ZONES: Readonly<Record<string, number>> = {
  NT: -210,
  AT: -240,
  ET: -300,
  CT: -360,
  MT: -420,
  PT: -480,
  AKT: -540,
};

/** Day of the month of the `nth` Sunday of `month` (1-based) in `year`; `nth` 0 is the last. */
function sunday(year: number, month: number, nth: number): number {
  if (nth === 0) {
    const last = daysInMonth(year, month);
    return last - new Date(Date.UTC(year, month - 1, last)).getUTCDay();
  }
  const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
  return 1 + ((7 - first) % 7) + (nth - 1) * 7;
}

/**
 * The offset of a generic zone at a wall-clock time: standard, or one hour more while daylight
 * saving time is on (2 a.m. local on the second Sunday of March to the first Sunday of November
 * since 2007; the first Sunday of April to the last Sunday of October before).
 */
function genericZoneOffset(
  standard: number,
  parts: { year: number; month: number; day: number; hour: number },
): number {
  const { year, month, day, hour } = parts;
  const [startMonth, startDay] = year >= 2007 ? [3, sunday(year, 3, 2)] : [4, sunday(year, 4, 1)];
  const [endMonth, endDay] = year >= 2007 ? [11, sunday(year, 11, 1)] : [10, sunday(year, 10, 0)];
  const at = month * 10_000 + day * 100 + hour;
  const daylight =
    at >= startMonth * 10_000 + startDay * 100 + 2 && at < endMonth * 10_000 + endDay * 100 + 2;
  return daylight ? standard + 60 : standard;
}

/**
 * Weekday names and abbreviations, lower-case and without accents, in the languages of
 * {@link MONTHS} plus Hungarian: a word here is never read as a month while another word of the
 * date is one, so Spanish, Italian and French "mar." (Tuesday) leave "déc." its December.
 */
const WEEKDAYS: ReadonlySet<string> = new Set(
  [
    'mon tue wed thu fri sat sun monday tuesday wednesday thursday friday saturday sunday',
    'seg ter qua qui sex sab dom', // Portuguese
    'lun mar mie jue vie sab dom', // Spanish
    'lun mar mer gio ven sab dom', // Italian
    'lun mar mer jeu ven sam dim', // French
    'mo di mi do fr sa so mon die mit don fre sam son', // German
    'ma di wo do vr za zo', // Dutch
    'δευ τρι τετ πεμ παρ σαβ κυρ', // Greek
    'пн вт ср чт пт сб вс пон вто сре чет пят суб вос', // Russian
    'het ked sze csu pen szo vas', // Hungarian
  ]
    .join(' ')
    .split(' '),
);

/**
 * Month names and abbreviations, lower-case and without accents, in the languages of the feeds we
 * read (English, Portuguese, Spanish, Italian, French, German, Dutch, Greek, Russian, Hungarian). A token is
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
      [5, 'may mai mag mei maj μαι мая май'],
      [6, 'jun giu juin ιουν июн'],
      [7, 'jul lug juil ιουλ июл'],
      [8, 'aug ago aou αυγ авг'],
      [9, 'sep set szep σεπ сен'],
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
  const key = wordKey(word);
  if (key.length < 3) return undefined;
  return MONTHS.get(key.slice(0, 4)) ?? MONTHS.get(key.slice(0, 3));
}

function parseUnix(text: string): number | undefined {
  if (!/^\d{9,13}$/.test(text)) return undefined;
  const value = Number(text);
  // Ten digits or fewer are seconds (until the year 2286); twelve or more are milliseconds.
  return text.length <= 11 ? value * 1000 : value;
}

/** A date as read, and why its instant may not be the one the publisher meant. */
export interface FeedDate {
  /** Epoch milliseconds. */
  time: number;
  /**
   * Set when the text named a zone this parser does not know: the time was then read as UTC, which
   * may be hours off, and the poll says so rather than hiding it.
   */
  notice?: string;
}

/** A word of a date that may name its month. */
interface MonthWord {
  month: number;
  weekday: boolean;
}

/**
 * The month among the words that name one: a word that is also a weekday ("mar", Tuesday in
 * Spanish, Italian and French) only when no other word is a month, and then the last one
 * ("mar., 04 mar. 2025"), since the weekday comes first.
 */
function chooseMonth(words: readonly MonthWord[]): number | undefined {
  return (words.find((word) => !word.weekday) ?? words.at(-1))?.month;
}

/** A word as the WEEKDAYS and MONTHS tables spell it: lower case, no accents, no final period. */
function wordKey(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\.$/, '');
}

/**
 * RFC 822 and its relatives, read token by token so that the order of day and month, missing
 * spaces, localized names and a missing zone do not matter.
 */
function parseTextual(input: string): FeedDate | undefined {
  const text = input
    // "GMT+0530", "UTC-07:00": the offset glued to the zone name is the offset.
    .replace(/\b(GMT|UTC?)(?=[+-]\d)/gi, '$1 ')
    // "+0530 (IST)": the name in parentheses is a zone like any other.
    .replace(/[()]/g, ' ')
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

  const monthWords: MonthWord[] = [];
  const numbers: string[] = [];
  let time: string | undefined;
  let meridiem: 'am' | 'pm' | undefined;
  let offset: number | undefined;
  let genericZone: number | undefined;
  let unknownZone: string | undefined;
  for (const token of tokens) {
    const upper = token.toUpperCase();
    const month = monthOf(token);
    if (/^\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?$/.test(token)) {
      time ??= token;
    } else if (/^\d+$/.test(token)) {
      numbers.push(token);
    } else if (/^[ap]\.?m\.?$/i.test(token)) {
      meridiem = token[0]?.toLowerCase() === 'a' ? 'am' : 'pm';
    } else if (/^[+-]\d{1,2}(?::?\d{2})?$/.test(token)) {
      // "GMT+0530" comes apart into "GMT" and "+0530": the numeric part is the offset.
      const zone = parseNumericZone(token);
      if (zone === undefined) return undefined;
      offset = zone;
    } else if (time !== undefined && Object.hasOwn(ZONES, upper)) {
      offset ??= ZONES[upper];
    } else if (time !== undefined && Object.hasOwn(GENERIC_ZONES, upper)) {
      genericZone = GENERIC_ZONES[upper];
    } else if (month !== undefined) {
      monthWords.push({ month, weekday: WEEKDAYS.has(wordKey(token)) });
    } else if (/\d/.test(token) || /^[+-]./.test(token)) {
      // "+zz:00", "1:2:3:4": a number that is none of the above is not a date's.
      return undefined;
    } else if (
      time !== undefined &&
      /^\p{Lu}{1,6}$/u.test(token) &&
      !WEEKDAYS.has(wordKey(token))
    ) {
      unknownZone ??= token;
    }
    // Any other word (a weekday, "th", "at") is ignored.
  }
  const month = chooseMonth(monthWords);
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
  offset ??= genericZone === undefined ? undefined : genericZoneOffset(genericZone, parts);
  const epoch = toEpoch(parts, millis, offset ?? 0);
  if (epoch === undefined) return undefined;
  // An unknown zone is read as UTC, as feedparser does, but not silently.
  return offset === undefined && unknownZone !== undefined
    ? { time: epoch, notice: `unknown time zone "${unknownZone}", read as UTC` }
    : { time: epoch };
}

/**
 * Korean dates as Korean blog hosts write them, with no zone: Nate's `2004-05-25 오후 11:23:17`
 * (오전 is a.m., 오후 p.m.) and OnBlog's `2004년 05월 28일 01:31:15`. They are read in Korea's
 * time (+09:00), as feedparser does: the words say where the clock is.
 */
function koreanToIso(text: string): string | undefined {
  const nate = /^(\d{4})-(\d{2})-(\d{2}) (오전|오후) (\d{1,2}):(\d{2}):(\d{2})$/u.exec(text);
  if (nate !== null) {
    const [, y, mo, d, half, h, mi, s] = nate;
    const hour = Number(h);
    if (hour < 1 || hour > 12) return undefined;
    const hour24 = (hour % 12) + (half === '오후' ? 12 : 0);
    return `${y ?? ''}-${mo ?? ''}-${d ?? ''}T${String(hour24).padStart(2, '0')}:${mi ?? ''}:${s ?? ''}+09:00`;
  }
  const onblog = /^(\d{4})년 (\d{1,2})월 (\d{1,2})일 (\d{2}):(\d{2}):(\d{2})$/u.exec(text);
  if (onblog === null) return undefined;
  const [, y, mo, d, h, mi, s] = onblog;
  const pad = (part: string | undefined): string => (part ?? '').padStart(2, '0');
  return `${y ?? ''}-${pad(mo)}-${pad(d)}T${h ?? ''}:${mi ?? ''}:${s ?? ''}+09:00`;
}

/**
 * ISO-like forms with something other than two digits where ISO has them: a month name
 * (Hungarian `2004-július-31T12:00:00+02:00`), a slash (`2023/12/16`), or a date cut to its month
 * or year (`2003-12`, `2003`, read as the first day, UTC). A year alone is only taken from 1900 to
 * 2099, so a stray small number is not a date. Two-digit years (`03-12-31`) are not read: YY-MM-DD
 * and DD-MM-YY cannot be told apart.
 */
function isoLike(text: string): string {
  const named = /^(\d{4})-(\p{L}+\.?)-(\d{1,2})(?=$|[Tt ])/u.exec(text);
  if (named !== null) {
    const month = monthOf(named[2] ?? '');
    if (month === undefined) return text;
    const day = (named[3] ?? '').padStart(2, '0');
    const date = `${named[1] ?? ''}-${String(month).padStart(2, '0')}-${day}`;
    return date + text.slice(named[0].length);
  }
  if (/^(?:19|20)\d{2}$/.test(text)) return `${text}-01-01`;
  if (/^\d{4}-\d{2}$/.test(text)) return `${text}-01`;
  return text.replace(/^(\d{4})\/(\d{2})\/(\d{2})/, '$1-$2-$3');
}

/**
 * The instant a feed date names, and a notice when it was read with a guess (an unknown zone
 * taken as UTC), or `undefined` when the text is not a date this parser can read. Never throws.
 * See {@link parseFeedDate} for the forms it reads.
 */
export function readFeedDate(text: string): FeedDate | undefined {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  if (trimmed === '' || trimmed.length > MAX_LENGTH) return undefined;
  const time = parseUnix(trimmed) ?? parseIso(koreanToIso(trimmed) ?? isoLike(trimmed));
  const result = time === undefined ? parseTextual(trimmed) : { time };
  return result !== undefined && Number.isFinite(result.time) ? result : undefined;
}

/**
 * The instant a feed date names, in epoch milliseconds, or `undefined` when the text is not a date
 * this parser can read. Never throws.
 *
 * Reads RFC 822/1123 (`Sat, 16 Dec 2023 14:02:33 GMT`, numeric offsets, also glued to the zone
 * as in `GMT+0530`, zone names such as IST = +05:30, EST, PDT, CET, CEST, BST, JST, and the US
 * generic ET, CT, MT, PT, AT with daylight saving time by the date), RFC 3339/ISO 8601 with any
 * fraction length (`2022-07-28T03:40:34.000000000Z`) or cut to the month or year (`2003-12`),
 * and the broken forms real feeds send: missing spaces (`Sun, 30Mar 2025 12:41:13 +0530`,
 * `Mon, 31 Mar 202510:50:41 +0530`), localized day and month names (`Seg, 24 Set 2018`,
 * `mer, 16 nov 2022`, `mar., 01 déc. 2020`, `Di, 15 Okt 2019`, Greek, Hungarian
 * `2004-július-31T12:00:00+02:00`, Korean `2004-05-25 오후 11:23:17`), US order with AM/PM
 * (`Sat, Dec 16 2023 02:02:33 PM`), two-digit years after a month name, and Unix timestamps in
 * seconds or milliseconds. A date without a zone, or with one it does not know, is read as UTC
 * ({@link readFeedDate} says when the zone was unknown).
 *
 * @example parseFeedDate('Sat, 16 Dec 2023 14:02:33 GMT') // 1702735353000
 */
export function parseFeedDate(text: string): number | undefined {
  return readFeedDate(text)?.time;
}
