import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hashRequest } from './idempotency.ts';

/** The recursive canonical form hashes were first stored with; the iterative one must match it byte for byte. */
function recursiveCanonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(recursiveCanonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${recursiveCanonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const parts = { method: 'POST', path: '/api/v1/transfers', accountId: 'acct_01m8g4v2amhzvvtznqxqww9kqs' };

describe('hashRequest', () => {
  it('hashes any JSON body exactly as the recursive canonical form did (stored hashes stay valid)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (body) => {
        const expected = createHash('sha256').update(`POST /api/v1/transfers ${parts.accountId}\n${recursiveCanonical(body)}`).digest('hex');
        assert.equal(hashRequest({ ...parts, body }), expected);
      }),
      { numRuns: 300 },
    );
  });

  it('ignores key order', () => {
    assert.equal(hashRequest({ ...parts, body: { a: 1, b: [2, { c: 3, d: 4 }] } }), hashRequest({ ...parts, body: { b: [2, { d: 4, c: 3 }], a: 1 } }));
  });

  it('hashes a body nested 100,000 deep without exhausting the stack', () => {
    let deep: unknown = '1.00';
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { a: deep };
    assert.match(hashRequest({ ...parts, body: { amount: deep } }), /^[0-9a-f]{64}$/);
  });
});
