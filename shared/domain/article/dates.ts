/**
 * RFC 3339 date-times, as the API takes `publishedAt`: read strictly (a date alone, or a time
 * without an offset, is ambiguous and refused), with a hint for the usual near misses.
 */

/** `YYYY-MM-DDThh:mm[:ss[.fraction]]` and `Z` or `±hh:mm` (RFC 3339, seconds optional). */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Days in a month (1–12) of a proleptic Gregorian year, any year from 0 to 9999 (`Date.UTC` alone
 * would read the years 0–99 as 1900–1999).
 */
export function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one; 2001 is not a leap year.
  return new Date(Date.UTC(2001, month, 0)).getUTCDate() + (month === 2 && isLeap(year) ? 1 : 0);
}

/**
 * Epoch milliseconds of an RFC 3339 date-time (fractions beyond milliseconds truncated), or why
 * not: `'format'` when it does not have that form, `'range'` when it is not a real date and time.
 */
export function parseDateTime(text: string): number | 'format' | 'range' {
  const match = DATE_TIME.exec(text);
  if (match === null) return 'format';
  const group = (index: number): number => Number(match[index] ?? '0');
  const [year, month, day] = [group(1), group(2), group(3)];
  const [hour, minute, second] = [group(4), group(5), group(6)];
  const [offsetHours, offsetMinutes] = [group(10), group(11)];
  const inRange =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 23 &&
    offsetMinutes <= 59;
  if (!inRange) return 'range';
  const millis = Number((match[7] ?? '.0').slice(1, 4).padEnd(3, '0'));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const offset = (match[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return date.getTime() - offset;
}

/**
 * A hint for the two usual mistakes, to append to a message: a date alone, and a time without an
 * offset; `''` for anything else.
 */
export function dateTimeHint(text: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text))
    return ' (a date alone is not enough: add the time and offset)';
  if (/^\d{4}-\d{2}-\d{2}[Tt ][\d:.]+$/.test(text))
    return ' (add the offset, Z or ±hh:mm: without it the time is ambiguous)';
  return '';
}
