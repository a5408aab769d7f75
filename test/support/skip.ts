// Suites that need something a machine may lack (PostgreSQL, Chromium). Node 20 counts a skipped describe() as zero
// tests — its summary says "skipped 0" — so in the suite's place this registers one skipped test that carries the reason.
import { describe, test } from 'node:test';

/** describe(name, fn) when `skip` is false; otherwise one skipped test named after the suite, with `skip` as the reason. */
export function describeOrSkip(skip: string | false, name: string, fn: () => void): void {
  if (skip) test(name, { skip }, () => undefined);
  else describe(name, fn);
}
