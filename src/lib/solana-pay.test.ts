import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBase58 } from './base58.ts';
import { solanaPayReference, splTokenMints, transferRequestUri } from './solana-pay.ts';

describe('Solana Pay transfer requests', () => {
  it('holds the recipient, the amount in token units, the mint, a key reference and the memo', () => {
    const uri = transferRequestUri({ recipient: 'So11111111111111111111111111111111111111112', currency: 'USDC', amount: '12.500000', linkId: 'pl_x', memo: 'INV-42', label: 'Acme & Co', message: 'Pay INV-42' });
    const url = new URL(uri);
    assert.equal(url.protocol, 'solana:');
    assert.equal(url.pathname, 'So11111111111111111111111111111111111111112');
    assert.equal(url.searchParams.get('amount'), '12.5');
    assert.equal(url.searchParams.get('spl-token'), splTokenMints.USDC);
    assert.equal(url.searchParams.get('memo'), 'INV-42');
    assert.equal(url.searchParams.get('label'), 'Acme & Co');
    assert.ok(!uri.includes('+'), 'spaces are percent-encoded');
    assert.equal(decodeBase58(url.searchParams.get('reference') as string)?.length, 32);
  });

  it('leaves the amount out for an open amount, and whole amounts have no point', () => {
    const base = { recipient: 'So11111111111111111111111111111111111111112', currency: 'USDT' as const, linkId: 'pl_y', memo: 'R', label: 'L', message: 'M' };
    assert.equal(new URL(transferRequestUri({ ...base, amount: null })).searchParams.get('amount'), null);
    assert.equal(new URL(transferRequestUri({ ...base, amount: '100.000000' })).searchParams.get('amount'), '100');
    assert.notEqual(solanaPayReference('pl_a'), solanaPayReference('pl_b'));
  });
});
