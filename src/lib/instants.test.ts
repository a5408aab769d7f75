import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseInstant } from './instants.ts';

/** Runs fn with the process's time zone set to each zone in turn (Node applies a change of TZ at once). */
function inEveryZone(fn: () => void): void {
  const saved = process.env.TZ;
  try {
    for (const zone of ['UTC', 'Australia/Sydney', 'America/St_Johns', 'Asia/Kathmandu', 'Pacific/Kiritimati']) {
      process.env.TZ = zone;
      fn();
    }
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/** The same instant as a client may write it: at an offset of `offsetMinutes`, in one of the accepted forms. */
function write(at: Date, offsetMinutes: number, form: 'Z' | 'colon' | 'basic' | 'none'): string {
  const local = new Date(at.getTime() + offsetMinutes * 60_000).toISOString().slice(0, -1); // YYYY-MM-DDTHH:MM:SS.mmm
  if (form === 'Z') return `${local}Z`;
  if (form === 'none') return local;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const [h, m] = [Math.floor(Math.abs(offsetMinutes) / 60), Math.abs(offsetMinutes) % 60];
  return `${local}${sign}${pad(h)}${form === 'colon' ? ':' : ''}${pad(m)}`;
}

// A day inside years 1–9999, so the instant written at any offset still has a four-digit year.
const instants = fc.date({ min: new Date('0001-01-02T00:00:00Z'), max: new Date('9999-12-30T23:59:59.999Z'), noInvalidDate: true });

describe('parseInstant', () => {
  it('reads every date-time as the same instant whatever the server time zone; no offset means UTC', () => {
    inEveryZone(() =>
      fc.assert(
        fc.property(instants, fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }), fc.constantFrom('Z', 'colon', 'basic', 'none'), (at, offset, form) => {
          const text = write(at, form === 'Z' || form === 'none' ? 0 : offset, form);
          const parsed = parseInstant(text);
          assert.ok(parsed, text);
          assert.equal(parsed.start.getTime(), at.getTime(), text);
          assert.equal(parsed.end.getTime(), at.getTime() + 1, text);
        }),
        { numRuns: 200 },
      ),
    );
  });

  it('a date is its whole UTC day, whatever the server time zone', () => {
    inEveryZone(() => {
      assert.deepEqual(parseInstant('2024-02-29'), { start: new Date('2024-02-29T00:00:00Z'), end: new Date('2024-03-01T00:00:00Z') });
      const early = parseInstant('0050-06-01');
      assert.equal(early?.start.toISOString(), '0050-06-01T00:00:00.000Z'); // not 1950: years below 100 are years
    });
  });

  it('refuses a date that is not in the calendar exactly when the calendar says so', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), (year, month, day) => {
        const text = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
        const probe = new Date(0);
        probe.setUTCFullYear(year, month - 1, day);
        const real = month >= 1 && month <= 12 && day >= 1 && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
        assert.equal(parseInstant(text) !== null, real, text);
        assert.equal(parseInstant(`${text}T12:00:00Z`) !== null, real, text);
      }),
    );
  });

  it('refuses impossible times, offsets and anything that is not the ISO 8601 form', () => {
    for (const text of [
      '2024-01-01T24:00:00Z',
      '2024-01-01T10:60:00Z',
      '2024-01-01T10:00:60Z',
      '2024-01-01T10:00:00+24:00',
      '2024-01-01T10:00:00+05:60',
      '2024-01-01T10:00:00.1234567890Z',
      '2024-01-01T10:00:00 GMT',
      '2024-01-01T10:00:00 (PST)',
      '2024-01-01T10Z',
      '2024-01-01T1:02:03Z',
      '2024-01-01 10:00:00Z',
      '2024-1-1',
      '+002024-01-01',
      'yesterday',
      '',
      '1704067200000',
    ]) {
      assert.equal(parseInstant(text), null, text);
    }
  });

  it('bounds a time finer than a millisecond exactly: start at the next millisecond, end after the one it falls in', () => {
    assert.deepEqual(parseInstant('2024-01-01T00:00:00.123000Z'), { start: new Date('2024-01-01T00:00:00.123Z'), end: new Date('2024-01-01T00:00:00.124Z') });
    assert.deepEqual(parseInstant('2024-01-01T00:00:00.123000001Z'), { start: new Date('2024-01-01T00:00:00.124Z'), end: new Date('2024-01-01T00:00:00.124Z') });
    assert.deepEqual(parseInstant('2024-01-01T10:30+10:30'), { start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-01-01T00:00:00.001Z') });
  });
});
