import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeBase58, decodeBase58 } from '../../lib/base58.ts';
import { ageInYears, isPlausibleAuPostcode, isValidAbn, isValidAcn, maskIdNumber, parseDate } from './identity.ts';
import { decideSubmission, isDecisionAllowed } from './verification.ts';
import { deriveSolanaAddress } from './receiving-details.ts';

describe('parseDate', () => {
  it('accepts real dates only', () => {
    assert.ok(parseDate('2000-02-29'));
    assert.equal(parseDate('1900-02-29'), undefined);
    assert.equal(parseDate('2023-04-31'), undefined);
    assert.equal(parseDate('2023-4-1'), undefined);
    assert.equal(parseDate('2023-04-01T00:00:00Z'), undefined);
  });
  it('round-trips every day between 1900 and 2100', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true }), (d) => {
        const text = d.toISOString().slice(0, 10);
        assert.equal(parseDate(text)?.toISOString().slice(0, 10), text);
      }),
    );
  });
});

describe('ageInYears', () => {
  it('turns 18 on the birthday, not the day before', () => {
    const birth = parseDate('2008-06-15') as Date;
    assert.equal(ageInYears(birth, new Date('2026-06-14T23:59:00Z')), 17);
    assert.equal(ageInYears(birth, new Date('2026-06-15T00:00:00Z')), 18);
  });
  it('a 29 February birthday is reached on 1 March in common years', () => {
    const birth = parseDate('2008-02-29') as Date;
    assert.equal(ageInYears(birth, new Date('2026-02-28T12:00:00Z')), 17);
    assert.equal(ageInYears(birth, new Date('2026-03-01T00:00:00Z')), 18);
  });
});

describe('Australian registration numbers and postcodes', () => {
  it('ABN and ACN checksums', () => {
    assert.ok(isValidAbn('51824753556'));
    assert.ok(!isValidAbn('51824753557'));
    assert.ok(isValidAcn('004085616'));
    assert.ok(!isValidAcn('004085617'));
    assert.ok(!isValidAbn('5182475355'));
  });
  it('postcodes belong to their state', () => {
    assert.ok(isPlausibleAuPostcode('NSW', '2000'));
    assert.ok(isPlausibleAuPostcode('ACT', '2600'));
    assert.ok(!isPlausibleAuPostcode('NSW', '2600'));
    assert.ok(isPlausibleAuPostcode('NT', '0800'));
    assert.ok(!isPlausibleAuPostcode('VIC', '2000'));
    assert.ok(!isPlausibleAuPostcode('XX', '2000'));
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) assert.ok(!isPlausibleAuPostcode(name, '2000'), name);
  });
});

describe('maskIdNumber', () => {
  it('never shows more than the last four characters, and at most half of a short number', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z0-9]{4,20}$/), (id) => {
        const masked = maskIdNumber(id);
        const visible = masked.replace(/•/g, '');
        assert.ok(visible.length <= 4 && visible.length * 2 <= id.length);
        assert.ok(id.endsWith(visible));
      }),
    );
  });
});

describe('verification transitions', () => {
  it('submission is allowed exactly from unverified and action_required', () => {
    assert.equal(decideSubmission('unverified'), null);
    assert.equal(decideSubmission('action_required'), null);
    assert.equal(decideSubmission('pending'), 'VERIFICATION_ALREADY_SUBMITTED');
    assert.equal(decideSubmission('approved'), 'VERIFICATION_ALREADY_SUBMITTED');
    assert.equal(decideSubmission('rejected'), 'VERIFICATION_REJECTED');
  });
  it('decisions: anything from pending; only withdrawal from approved; nothing otherwise', () => {
    for (const next of ['approved', 'rejected', 'action_required'] as const) {
      assert.ok(isDecisionAllowed('pending', next));
      assert.equal(isDecisionAllowed('approved', next), next !== 'approved');
      for (const from of ['unverified', 'rejected', 'action_required'] as const) assert.ok(!isDecisionAllowed(from, next));
    }
  });
});

describe('receiving addresses', () => {
  it('base58 round-trips, including leading zero bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), (bytes) => {
        assert.deepEqual(decodeBase58(encodeBase58(bytes)), bytes);
      }),
    );
  });
  it('addresses are 32-byte base58, deterministic, and differ by environment, account and currency', () => {
    const a = deriveSolanaAddress('sandbox', 'acct_1', 'USDT');
    assert.equal(a, deriveSolanaAddress('sandbox', 'acct_1', 'USDT'));
    assert.equal(decodeBase58(a)?.length, 32);
    const others = [deriveSolanaAddress('production', 'acct_1', 'USDT'), deriveSolanaAddress('sandbox', 'acct_2', 'USDT'), deriveSolanaAddress('sandbox', 'acct_1', 'USDC')];
    assert.equal(new Set([a, ...others]).size, 4);
  });
});
