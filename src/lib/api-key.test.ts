import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { generateApiKey, hashApiKey, hintOf, parseApiKey } from './api-key.ts';

describe('API key format', () => {
  it('generates pik_test_/pik_live_ + 32 base62 + 6 base62 checksum, and parses its own keys', () => {
    for (const environment of ['sandbox', 'production'] as const) {
      const key = generateApiKey(environment);
      assert.match(key.secret, environment === 'sandbox' ? /^pik_test_[0-9A-Za-z]{38}$/ : /^pik_live_[0-9A-Za-z]{38}$/);
      assert.deepEqual(parseApiKey(key.secret), { ok: true, environment });
      assert.equal(key.hash, hashApiKey(key.secret));
      assert.equal(key.hint, `${key.secret.slice(0, 9)}…${key.secret.slice(-4)}`);
      assert.ok(!key.hash.includes(key.secret.slice(9, 41)));
    }
  });

  it('every single-character change is caught by the checksum or the format', () => {
    const { secret } = generateApiKey('sandbox');
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    fc.assert(
      fc.property(fc.integer({ min: 0, max: secret.length - 1 }), fc.constantFrom(...alphabet), (index, replacement) => {
        fc.pre(secret[index] !== replacement);
        const typo = secret.slice(0, index) + replacement + secret.slice(index + 1);
        assert.equal(parseApiKey(typo).ok, false);
      }),
    );
  });

  it('rejects truncated, extended, foreign-prefix and non-base62 tokens', () => {
    const { secret } = generateApiKey('production');
    for (const bad of [secret.slice(0, -1), `${secret}0`, secret.replace('pik_live_', 'pik_prod_'), `${secret.slice(0, 20)}-${secret.slice(21)}`, '', 'Bearer']) {
      assert.equal(parseApiKey(bad).ok, false, bad);
    }
  });

  it('keys are unique and uniformly random enough not to repeat', () => {
    const seen = new Set(Array.from({ length: 2000 }, () => generateApiKey('sandbox').secret));
    assert.equal(seen.size, 2000);
  });

  it('hints show only the prefix and the last four characters', () => {
    const made = `pik_test_${'x'.repeat(32)}123456`; // built at run time: no key-shaped literal in the repository
    assert.equal(hintOf(made), 'pik_test_…3456');
  });
});
