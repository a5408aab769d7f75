// Counting repeats in Node's raw header lines: any letter case, one bit per header, other headers ignored.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findRepeatedHeader, singleHeaders, type SingleHeader } from './single-headers.ts';

const raw = (...names: string[]): string[] => names.flatMap((name) => [name, 'v']);

describe('findRepeatedHeader', () => {
  it('finds every catalogue header repeated in any letter case, and nothing when each occurs once', () => {
    for (const name of Object.keys(singleHeaders) as SingleHeader[]) {
      const capitalised = name.replace(/(^|-)([a-z])/g, (_m, dash: string, letter: string) => dash + letter.toUpperCase());
      const mixed = [...name].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
      for (const [a, b] of [[name, name], [capitalised, name], [name.toUpperCase(), mixed], [mixed, capitalised]]) {
        assert.equal(findRepeatedHeader(raw('Host-Like', a as string, 'Accept', b as string)), name, `${a} + ${b}`);
      }
    }
    assert.equal(findRepeatedHeader(raw('host', 'HOST')), 'host');
    assert.equal(findRepeatedHeader(raw(...Object.keys(singleHeaders))), undefined);
    assert.equal(findRepeatedHeader(raw('Accept', 'accept', 'X-Forwarded-For', 'x-forwarded-for', 'Cookie', 'cookie')), undefined);
    assert.equal(findRepeatedHeader(raw('Content-Type', 'Content-Length', 'content-TYPE')), 'content-type');
  });
});
