import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../lib/errors.ts';
import { parseDestination } from './payouts.ts';

const bank = { bsb: '062000', account_number: '12345678', account_name: 'Jane Citizen' };
const solana = { address: '4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T', network: 'solana' };

function refusal(fn: () => unknown): { field: unknown; message: string } {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ApiError);
    assert.equal(error.code, 'INVALID_REQUEST');
    return { field: error.detail?.field, message: error.message };
  }
  assert.fail('expected a refusal');
}

describe('payout destinations follow the currency catalogue', () => {
  it('bank accounts pay fiat out, crypto addresses the stablecoins on Solana', () => {
    assert.deepEqual(parseDestination('bank_account', bank, 'SGD'), bank);
    assert.deepEqual(parseDestination('crypto_address', solana, 'USDC'), solana);
  });

  it('a currency on the wrong rail is refused with the currencies the rail pays and the rail that pays it', () => {
    assert.deepEqual(refusal(() => parseDestination('bank_account', bank, 'USDT')), {
      field: 'currency',
      message: 'Bank payouts are in AUD, USD, HKD, SGD; pay USDT out to a crypto_address.',
    });
    assert.deepEqual(refusal(() => parseDestination('crypto_address', solana, 'AUD')), {
      field: 'currency',
      message: 'Crypto payouts are in USDT or USDC; pay fiat out to a bank_account.',
    });
  });

  it("a crypto payout must name one of the currency's networks", () => {
    assert.deepEqual(refusal(() => parseDestination('crypto_address', { ...solana, network: 'ethereum' }, 'USDT')), {
      field: 'destination.network',
      message: 'destination.network must be "solana".',
    });
  });
});
