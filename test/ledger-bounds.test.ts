// Running balances have no ceiling. One movement carries at most 10^9 units (10^15 minor units of a 6-decimal
// currency), but a balance row adds up movements forever: a wallet, and above all PIK's clearing accounts, which add
// up every movement of an environment across all platforms. About 9,223 maximum sandbox deposits would carry a
// bigint total past 9.2e18; then every movement touching that row failed with a 500 (for a clearing account: every
// deposit, or every payout, of that currency in the whole environment). The tests get there in a few movements of
// 4e18 minor units each, posted through the ledger's own functions with their transaction rows, so every invariant
// of the ledger still holds and is checked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runUnitOfWork } from '../src/db/unit-of-work.ts';
import type { TransactionStatus, TransactionType } from '../src/db/schema.ts';
import { clearing, decideHold, decideInbound, decidePayoutCompletion, decideRelease, decideSettle, decideTransfer, type Posting } from '../src/domain/ledger/decisions.ts';
import { settleDueDeposits } from '../src/domain/ledger/deposits.ts';
import { clearingBalances, insertTransactions, postMovement } from '../src/domain/ledger/ledger.ts';
import type { Currency } from '../src/lib/currencies.ts';
import { newId } from '../src/lib/ids.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { approveAccount, bankDestination, checkLedgerInvariants, solanaAddress } from './support/ledger.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

const int8Max = 9_223_372_036_854_775_807n;

/** A clearing account's balance: the sum of its entries (it keeps no balance row). */
async function clearingBalance(ledgerAccount: string, currency: Currency): Promise<{ available: bigint; pending: bigint }> {
  const found = (await clearingBalances(ctx.services.db.env('sandbox'))).find((b) => b.ledgerAccount === ledgerAccount && b.currency === currency);
  return found ?? { available: 0n, pending: 0n };
}
/** Three of these pass bigint's range; one still fits in a ledger entry (a bigint column, bounded per movement). */
const huge = 4_000_000_000_000_000_000n;

interface Side {
  accountId: string;
  type: TransactionType;
  amount: bigint;
  status: TransactionStatus;
}

/** One movement as the domain posts it: its postings (guarded by post_movement) and its rows in the history. */
async function post(platform: TestPlatform, currency: Currency, postings: Posting[], sides: Side[]): Promise<string[]> {
  return runUnitOfWork(ctx.services.db, async (work) => {
    const movementId = newId('transfer');
    const now = new Date();
    postMovement(work, 'sandbox', movementId, postings, now);
    if (sides.length === 0) return [];
    const rows = sides.map((s) => ({ platformId: platform.id, accountId: s.accountId, movementId, type: s.type, currency, amount: s.amount, status: s.status, reference: null, counterparty: null }));
    return insertTransactions(work, 'sandbox', rows, now);
  });
}

/** A settled deposit of `huge` into the wallet, as inbound clearing pays it. */
async function depositHuge(platform: TestPlatform, accountId: string, currency: Currency, settled = true): Promise<string> {
  const [id] = await post(platform, currency, (decideInbound({ accountId, currency, amount: huge, settled })), [
    { accountId, type: 'payment_in', amount: huge, status: settled ? 'settled' : 'pending' },
  ]);
  return id as string;
}

async function setStatus(transactionId: string, status: TransactionStatus): Promise<void> {
  await ctx.services.db.env('sandbox').updateTable('transactions').set({ status }).where('id', '=', transactionId).execute();
}


async function balance(platform: TestPlatform, accountId: string, currency: Currency): Promise<{ available: string; pending: string }> {
  const r = await ctx.call('GET', `/api/v1/accounts/${accountId}/wallet/balances`, { key: platform.keys.sandbox });
  assert.equal(r.status, 200, r.raw);
  const row = r.body.data.find((b: { currency: string }) => b.currency === currency);
  return { available: row.available, pending: row.pending };
}

async function approvedAccount(platform: TestPlatform): Promise<string> {
  const account = await createTestConnectedAccount(ctx, platform);
  await approveAccount(ctx, 'sandbox', account);
  return account;
}

describe('balances beyond bigint', () => {
  it('a wallet and inbound clearing pass 9.2e18 minor units through settled deposits; the API still moves money into and out of them', async () => {
    const platform = await createTestPlatform(ctx);
    const account = await approvedAccount(platform);
    for (let i = 0; i < 3; i++) await depositHuge(platform, account, 'USDT');
    assert.deepEqual(await balance(platform, account, 'USDT'), { available: '12000000000000.000000', pending: '0.000000' });

    const key = platform.keys.sandbox;
    const deposit = await ctx.call('POST', '/api/v1/sandbox/deposits', { key, body: { account_id: account, currency: 'USDT', amount: '1000000000', settle: 'immediately' } });
    assert.equal(deposit.status, 201, deposit.raw);
    const transfer = await ctx.call('POST', '/api/v1/transfers', { key, body: { destination_account_id: account, currency: 'USDT', amount: '0.000001' } });
    assert.equal(transfer.status, 201, transfer.raw);
    const back = await ctx.call('POST', '/api/v1/transfers', { key, body: { source_account_id: account, destination_account_id: platform.id, currency: 'USDT', amount: '1000000000' } });
    assert.equal(back.status, 201, back.raw);
    assert.deepEqual(await balance(platform, account, 'USDT'), { available: '12000000000000.000001', pending: '0.000000' });
    const inbound = await clearingBalance(clearing.inbound, 'USDT');
    assert.equal(typeof inbound.available, 'bigint');
    assert.ok(inbound.available < -int8Max, `inbound clearing holds ${inbound.available}`);
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('the pending bucket passes 9.2e18 minor units; a deposit through the API settles into it, and settling moves it all to available', async () => {
    const platform = await createTestPlatform(ctx);
    const account = await approvedAccount(platform);
    const pending: string[] = [];
    for (let i = 0; i < 3; i++) pending.push(await depositHuge(platform, account, 'USDC', false));
    assert.deepEqual(await balance(platform, account, 'USDC'), { available: '0.000000', pending: '12000000000000.000000' });

    const deposit = await ctx.call('POST', '/api/v1/sandbox/deposits', { key: platform.keys.sandbox, body: { account_id: account, currency: 'USDC', amount: '1' } });
    assert.equal(deposit.status, 201, deposit.raw);
    // The background settler may get there first; either way the deposit ends settled.
    await runUnitOfWork(ctx.services.db, (work) => settleDueDeposits(work, 'sandbox', new Date(Date.now() + 3_600_000)));
    for (const id of pending) {
      await post(platform, 'USDC', decideSettle({ accountId: account, currency: 'USDC', amount: huge }), []);
      await setStatus(id, 'settled');
    }
    assert.deepEqual(await balance(platform, account, 'USDC'), { available: '12000000000001.000000', pending: '0.000000' });
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('payout clearing passes 9.2e18 minor units in both buckets (holds, completions, a release); API payouts still complete', async () => {
    const platform = await createTestPlatform(ctx);
    const account = await approvedAccount(platform);
    for (let i = 0; i < 4; i++) await depositHuge(platform, account, 'USDT');
    const holds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const [id] = await post(platform, 'USDT', decideHold({ accountId: account, currency: 'USDT', amount: huge }), [
        { accountId: account, type: 'payment_out', amount: -huge, status: 'pending' },
      ]);
      holds.push(id as string);
    }
    const held = await clearingBalance(clearing.payout, 'USDT');
    assert.ok(held.pending > int8Max, `payout clearing holds ${held.pending}`);
    const [released, ...completed] = holds as [string, ...string[]];
    for (const id of completed) {
      await post(platform, 'USDT', (decidePayoutCompletion({ currency: 'USDT', amount: huge })), []);
      await setStatus(id, 'settled');
    }
    await post(platform, 'USDT', (decideRelease({ accountId: account, currency: 'USDT', amount: huge })), []);
    await setStatus(released, 'failed');
    assert.deepEqual(await balance(platform, account, 'USDT'), { available: '4000000000000.000000', pending: '0.000000' });

    const key = platform.keys.sandbox;
    const payout = await ctx.call('POST', '/api/v1/payouts', {
      key,
      onBehalfOf: account,
      body: { currency: 'USDT', amount: '1000000000', destination_type: 'crypto_address', destination: { address: solanaAddress, network: 'solana' } },
    });
    assert.equal(payout.status, 201, payout.raw);
    const done = await ctx.call('POST', `/api/v1/sandbox/payouts/${payout.body.id}/simulate`, { key, body: { status: 'completed' } });
    assert.equal(done.status, 200, done.raw);
    const paid = await clearingBalance(clearing.payout, 'USDT');
    assert.ok(paid.available > int8Max, `payout clearing has paid out ${paid.available}`);
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('a transfer between two wallets that each hold more than 9.2e18 minor units', async () => {
    const platform = await createTestPlatform(ctx);
    const a = await approvedAccount(platform);
    const b = await approvedAccount(platform);
    for (const account of [a, b]) for (let i = 0; i < 3; i++) await depositHuge(platform, account, 'USDT');
    await post(platform, 'USDT', decideTransfer({ sourceAccountId: a, destinationAccountId: b, currency: 'USDT', amount: huge }), [
      { accountId: a, type: 'transfer_out', amount: -huge, status: 'settled' },
      { accountId: b, type: 'transfer_in', amount: huge, status: 'settled' },
    ]);
    assert.equal((await balance(platform, a, 'USDT')).available, '8000000000000.000000');
    assert.equal((await balance(platform, b, 'USDT')).available, '16000000000000.000000');
    const transfer = await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { source_account_id: a, destination_account_id: b, currency: 'USDT', amount: '1' } });
    assert.equal(transfer.status, 201, transfer.raw);
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('a 2-decimal currency: an AUD wallet past 9.2e18 cents still pays out to a bank account', async () => {
    const platform = await createTestPlatform(ctx);
    const account = await approvedAccount(platform);
    for (let i = 0; i < 3; i++) await depositHuge(platform, account, 'AUD');
    assert.equal((await balance(platform, account, 'AUD')).available, '120000000000000000.00');
    const payout = await ctx.call('POST', '/api/v1/payouts', {
      key: platform.keys.sandbox,
      onBehalfOf: account,
      body: { currency: 'AUD', amount: '10.00', destination_type: 'bank_account', destination: bankDestination },
    });
    assert.equal(payout.status, 201, payout.raw);
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });
});
