import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decidePaymentStatus, isOpenPayment, referenceKey } from './decisions.ts';

describe('payment-link decisions', () => {
  it('a fixed amount: under, exact, over', () => {
    assert.equal(decidePaymentStatus(1000n, 999n), 'underpaid');
    assert.equal(decidePaymentStatus(1000n, 1000n), 'settled');
    assert.equal(decidePaymentStatus(1000n, 1001n), 'overpaid');
  });

  it('an open amount settles whatever arrives; nothing received is a bug', () => {
    assert.equal(decidePaymentStatus(null, 1n), 'settled');
    assert.throws(() => decidePaymentStatus(1000n, 0n));
  });

  it('the status orders with the amount received (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 15n }), fc.bigInt({ min: 1n, max: 10n ** 15n }), (expected, received) => {
        const status = decidePaymentStatus(expected, received);
        assert.equal(status, received < expected ? 'underpaid' : received === expected ? 'settled' : 'overpaid');
      }),
    );
  });

  it('references match trimmed and case-insensitively; only awaiting_funds and underpaid are open', () => {
    assert.equal(referenceKey(' inv-42 '), 'INV-42');
    assert.deepEqual(['awaiting_funds', 'underpaid', 'settled', 'overpaid', 'expired'].map((s) => isOpenPayment(s as never)), [true, true, false, false, false]);
  });
});
