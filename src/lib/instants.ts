// Instants a client sends (list filters such as from_date and to_date): ISO 8601 dates and date-times, read exactly,
// the same whatever the server's time zone. Never through Date's own parser, which reads a date-time without an
// offset as the server's local time and rolls an impossible date (February 30) into the next month.

/** YYYY-MM-DD; or YYYY-MM-DDTHH:MM, optional :SS and a fraction of up to 9 digits, optional Z or ±HH:MM (or ±HHMM). */
const instantPattern = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export interface Instant {
  /** Inclusive lower bound: the first millisecond at or after the instant (00:00 UTC for a date). */
  start: Date;
  /** Exclusive upper bound: the millisecond after the one the instant falls in (the next UTC day for a date). */
  end: Date;
}

/**
 * Parses a date (the whole UTC day) or a date-time; null when the text is neither or names no real moment (a 30th of
 * February, hour 24, minute 60, an offset beyond ±23:59). A date-time without an offset is UTC. Times are kept to
 * the millisecond, so a finer fraction moves `start` up to the next millisecond and leaves `end` after the one it
 * falls in: `created_at >= start` and `created_at < end` are then exact for millisecond times.
 */
export function parseInstant(text: string): Instant | null {
  const m = instantPattern.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const fraction = (m[7] ?? '').padEnd(9, '0');
  const offset = m[8] ?? 'Z';
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (offset !== 'Z') {
    const digits = offset.slice(1).replace(':', '');
    const [h, min] = [Number(digits.slice(0, 2)), Number(digits.slice(2))];
    if (h > 23 || min > 59) return null;
    offsetMinutes = (offset.startsWith('-') ? -1 : 1) * (h * 60 + min);
  }
  const at = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  at.setUTCFullYear(year, month - 1, day);
  at.setUTCHours(hour, minute, second, Number(fraction.slice(0, 3)));
  const ms = at.getTime() - offsetMinutes * 60_000;
  if (m[4] === undefined) return { start: new Date(ms), end: new Date(ms + 86_400_000) };
  const finerThanMs = /[1-9]/.test(fraction.slice(3));
  return { start: new Date(ms + (finerThanMs ? 1 : 0)), end: new Date(ms + 1) };
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
