import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { currencies, currenciesOn, currenciesPaidOutBy, currencyCatalogue, describeCurrencies, isCurrency, networks, payoutRails } from './currencies.ts';
import { maxMinorUnits } from './money.ts';

describe('currency catalogue', () => {
  it('every entry is one the rest of PIK can handle', () => {
    for (const code of currencies) {
      const entry = currencyCatalogue[code];
      assert.match(code, /^[A-Z]{3,5}$/, code);
      // The amount pattern of lib/money.ts reads at most 18 decimals, and formatMinor always writes a point.
      assert.ok(Number.isInteger(entry.decimals) && entry.decimals >= 1 && entry.decimals <= 18, code);
      assert.ok(entry.minimumMinorUnits >= 1n && entry.minimumMinorUnits <= maxMinorUnits(code), code);
      // A crypto payout goes out on one of the currency's networks; a bank payout needs none.
      if ((entry.payoutRails as readonly string[]).includes('crypto_address')) assert.ok(entry.networks.length > 0, code);
      for (const rail of entry.payoutRails) assert.ok(payoutRails.includes(rail), code);
      for (const network of entry.networks) assert.ok(networks.includes(network), code);
    }
  });

  it('derives the lists the API, the payout rules and the receiving addresses use', () => {
    assert.deepEqual(currencies, ['AUD', 'USD', 'HKD', 'SGD', 'USDT', 'USDC']);
    assert.deepEqual(currenciesPaidOutBy('bank_account'), ['AUD', 'USD', 'HKD', 'SGD']);
    assert.deepEqual(currenciesPaidOutBy('crypto_address'), ['USDT', 'USDC']);
    assert.deepEqual(currenciesOn('solana'), ['USDT', 'USDC']);
    assert.equal(describeCurrencies(), 'AUD, USD, HKD, SGD, USDT or USDC');
  });

  it('isCurrency knows exactly the catalogue codes, not inherited object keys', () => {
    for (const code of currencies) assert.ok(isCurrency(code));
    // XTS is ISO 4217's code for testing: never a currency PIK will add.
    for (const bad of ['aud', 'XTS', 'toString', '__proto__', 'constructor', '', 5, null]) assert.equal(isCurrency(bad), false, String(bad));
  });
});
