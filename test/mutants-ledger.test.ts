// The ledger's two defences against an overdraft that no other test pinned down (issue 9, part 5): the row lock that makes
// a decision see the balance it will change, and the SQL guard behind it. Each test here was checked to fail with one
// deliberate break of the code (the "mutant" named in its title) and to pass without it.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Tx } from '../src/db/database.ts';
import { ApiError } from '../src/lib/errors.ts';
import { decideTransfer, type Balance, type Posting } from '../src/domain/ledger/decisions.ts';
import { postMovement } from '../src/domain/ledger/ledger.ts';
import { runUnitOfWork } from '../src/db/unit-of-work.ts';
import { newId } from '../src/lib/ids.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { needsPostgres } from './support/database.ts';
import { heldTransaction, withTransactionFault } from './support/faults.ts';
import { approveAccount, checkLedgerInvariants } from './support/ledger.ts';
import { describeOrSkip } from './support/skip.ts';

let ctx: TestContext;
let platform: TestPlatform;

before(async () => {
  ctx = await startTestApp({ sandboxSettleDelayMs: 3_600_000 });
  platform = await createTestPlatform(ctx);
});
after(() => ctx.close());

const transfer = (body: Record<string, unknown>) => ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { currency: 'AUD', ...body } });

/** A new approved connected account holding `amount` AUD (moved from the platform, which starts with sandbox funds). */
async function accountWith(amount: string | null): Promise<string> {
  const account = await createTestConnectedAccount(ctx, platform);
  await approveAccount(ctx, 'sandbox', account);
  if (amount !== null) {
    const funded = await transfer({ destination_account_id: account, amount });
    assert.equal(funded.status, 201, funded.raw);
  }
  return account;
}

async function balanceOf(account: string, tx?: Tx): Promise<Balance> {
  const db = tx ? tx.env('sandbox') : ctx.services.db.env('sandbox');
  const row = await db.selectFrom('ledger_balances').select(['available', 'pending']).where('ledger_account', '=', account).where('currency', '=', 'AUD').executeTakeFirst();
  return { available: row?.available ?? 0n, pending: row?.pending ?? 0n };
}

const entriesOf = async (movementId: string) => ctx.services.db.env('sandbox').selectFrom('ledger_entries').select('amount').where('movement_id', '=', movementId).execute();

describe('the guard in post_movement (mutant: its PK002 refusal removed, leaving only the CHECK constraint)', () => {
  // The postings are handed to the ledger directly: no decision in front of the database function, nothing between an
  // overdraft and the balance row but its guard (and the CHECK constraint behind it, which would answer a 500).
  for (const bucket of ['available', 'pending'] as const) {
    it(`an overdraft of ${bucket} funds is refused as INSUFFICIENT_BALANCE naming the wallet, and nothing is written`, async () => {
      const source = await accountWith('5.00');
      const destination = await accountWith(null);
      if (bucket === 'pending') {
        // 2.00 pending on the source: an inbound payment that has not settled (and will not during this test)
        const deposit = await ctx.call('POST', '/api/v1/sandbox/deposits', { key: platform.keys.sandbox, body: { account_id: source, currency: 'AUD', amount: '2.00' } });
        assert.equal(deposit.status, 201, deposit.raw);
      }
      const before = { source: await balanceOf(source), destination: await balanceOf(destination) };
      const overdraft = before.source[bucket] + 1n; // one cent more than the wallet holds in that bucket
      const postings: Posting[] = [
        { ledgerAccount: source, currency: 'AUD', bucket, amount: -overdraft },
        { ledgerAccount: destination, currency: 'AUD', bucket: 'available', amount: overdraft },
      ];
      const movementId = newId('transfer');
      const refusal = await runUnitOfWork(ctx.services.db, async (work) => postMovement(work, 'sandbox', movementId, postings, new Date())).then(
        () => 'applied',
        (error: unknown) => error,
      );
      assert.ok(refusal instanceof ApiError, `expected the domain's INSUFFICIENT_BALANCE, got ${String(refusal)}`);
      assert.equal(refusal.code, 'INSUFFICIENT_BALANCE');
      assert.equal(refusal.status, 422);
      assert.deepEqual(refusal.detail, { account_id: source, currency: 'AUD' }, 'the refusal names the wallet it protects');
      assert.deepEqual({ source: await balanceOf(source), destination: await balanceOf(destination) }, before);
      assert.deepEqual(await entriesOf(movementId), []);
      await checkLedgerInvariants(ctx.services.db, 'sandbox');
    });
  }
});


/** Sessions of this test's database waiting for a lock another session holds. */
async function lockWaiters(): Promise<number> {
  const result = await sql<{ n: number }>`
    select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
    where not l.granted and a.datname = current_database()`.execute(ctx.services.db.core);
  return result.rows[0]?.n ?? 0;
}

async function eventually(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await condition()) return;
    await sleep(10);
  }
  throw new Error(`gave up waiting: ${what}`);
}

// Row locks only matter with concurrent connections, so this needs PostgreSQL.
describeOrSkip(needsPostgres, 'the balance row lock (mutant: FOR UPDATE removed from post_movement) — PostgreSQL', () => {
  it('a movement is guarded on the balance a concurrent movement leaves, never on the one that movement is replacing', async () => {
    const source = await accountWith('10.00');
    // The destination's balance row must exist already (a missing row makes the movement run again after creating it).
    const destination = await accountWith('1.00');
    // A drains the source and stops just before its commit: the row says 0.00 inside A, 10.00 to everyone else.
    const hold = heldTransaction('commit');
    const drain = withTransactionFault(ctx.services.db, hold.fault, () => transfer({ source_account_id: source, destination_account_id: destination, amount: '10.00' }));
    await hold.reached;

    // B wants the same 10.00. With the lock, post_movement waits for A and then finds 0.00: a clean refusal. Without it,
    // its guard reads the 10.00 that A is about to take away, its UPDATE then waits for A and drives the row below zero,
    // and only the CHECK constraint stops it — a 500, not the refusal a client can act on.
    const postings = decideTransfer({ sourceAccountId: source, destinationAccountId: destination, currency: 'AUD', amount: 1000n });
    const second = runUnitOfWork(ctx.services.db, async (work) => postMovement(work, 'sandbox', newId('transfer'), postings, new Date())).then(
      () => undefined,
      (error: unknown) => error,
    );
    await eventually(async () => (await lockWaiters()) > 0, 'B blocked on the row');
    hold.release();

    assert.equal((await drain).status, 201);
    const refused = await second;
    assert.ok(refused instanceof ApiError, String(refused));
    assert.equal(refused.code, 'INSUFFICIENT_BALANCE');
    assert.deepEqual(refused.detail, { account_id: source, currency: 'AUD' }, 'refused by the guard on the locked row');
    assert.deepEqual(await balanceOf(source), { available: 0n, pending: 0n });
    assert.deepEqual(await balanceOf(destination), { available: 1100n, pending: 0n });
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('thirty transfers at once draining one 10.00 balance: exactly ten succeed, the rest are INSUFFICIENT_BALANCE, and it ends at 0.00', async () => {
    const source = await accountWith('10.00');
    const destinations = [await accountWith(null), await accountWith(null), await accountWith(null)];
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => transfer({ source_account_id: source, destination_account_id: destinations[i % 3], amount: '1.00' })),
    );
    const statuses = results.map((r) => (r.status === 201 ? '201' : `${r.status} ${r.body?.error?.code}`));
    assert.deepEqual(
      statuses.reduce<Record<string, number>>((n, s) => ({ ...n, [s]: (n[s] ?? 0) + 1 }), {}),
      { '201': 10, '422 INSUFFICIENT_BALANCE': 20 },
    );
    assert.deepEqual(await balanceOf(source), { available: 0n, pending: 0n });
    let received = 0n;
    for (const d of destinations) received += (await balanceOf(d)).available;
    assert.equal(received, 1000n, 'no update lost: what left the source arrived');
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });
});
