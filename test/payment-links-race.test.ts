// Payment links under concurrency on PostgreSQL: deposits racing for one link, expiry racing a payment, and several
// expirers (server processes) at once. Sums are conserved and nothing is settled, credited or expired twice.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { openPostgres, type Database } from '../src/db/database.ts';
import { runUnitOfWork } from '../src/db/unit-of-work.ts';
import { expireDueLinks } from '../src/domain/payment-links/expirer.ts';
import { startTestApp, type TestContext } from './support/context.ts';
import { needsPostgres } from './support/database.ts';
import { checkLedgerInvariants } from './support/ledger.ts';
import { createLink, createPayee, type Payee } from './support/payment-links.ts';
import { describeOrSkip } from './support/skip.ts';

describeOrSkip(needsPostgres, 'payment links under concurrency (PostgreSQL)', () => {
  let ctx: TestContext;
  let payee: Payee;
  let second: Database;
  let clock = Date.now();

  before(async () => {
    ctx = await startTestApp({}, { now: () => new Date(clock) });
    second = await openPostgres(ctx.database.url as string, 10);
    payee = await createPayee(ctx);
  });
  after(async () => {
    await second?.close();
    await ctx?.close();
  });

  const db = () => ctx.services.db.env('sandbox');
  /** AUD money of the environment: wallets' totals, and each clearing account's entries. */
  const totals = async () => {
    const wallets = await db().selectFrom('ledger_balances').select(['available', 'pending']).where('currency', '=', 'AUD').execute();
    const clearing = await db().selectFrom('ledger_entries').select(['ledger_account', 'amount']).where('currency', '=', 'AUD').where('ledger_account', 'like', 'clearing:%').execute();
    const sum = (account: string) => clearing.filter((e) => e.ledger_account === account).reduce((s, e) => s + BigInt(e.amount), 0n);
    return { wallets: wallets.reduce((s, w) => s + BigInt(w.available) + BigInt(w.pending), 0n), inbound: sum('clearing:inbound'), unmatched: sum('clearing:unmatched') };
  };

  it('two deposits with a single-use link\'s reference at once: exactly one settles it, the other is unmatched; sums conserved', async () => {
    for (let round = 0; round < 8; round++) {
      const link = await createLink(payee, { amount: '25.00', single_use: true });
      const before = await totals();
      const results = await Promise.all([0, 1].map(() => payee.call('POST', '/api/v1/sandbox/deposits', { currency: 'AUD', amount: '25.00', reference: link.reference, settle: 'immediately' })));
      assert.deepEqual(results.map((r) => r.status), [201, 201], results.map((r) => r.raw).join('\n'));
      const matched = results.filter((r) => r.body.payment_id !== null);
      const unmatched = results.filter((r) => r.body.unmatched_funds_id !== null);
      assert.deepEqual([matched.length, unmatched.length], [1, 1]);
      const payments = await db().selectFrom('payments').selectAll().where('payment_link_id', '=', link.id).execute();
      assert.deepEqual(payments.map((p) => [p.status, p.amount_received]), [['settled', 2500n]]);
      const funds = await db().selectFrom('unmatched_funds').selectAll().where('payment_link_id', '=', link.id).execute();
      assert.deepEqual(funds.map((u) => [u.reason, u.amount]), [['link_paid', 2500n]]);
      const after = await totals();
      assert.equal(after.wallets - before.wallets, 2500n, 'one deposit credited');
      assert.equal(after.unmatched - before.unmatched, 2500n, 'the other held');
      assert.equal(before.inbound - after.inbound, 5000n, 'both came in');
    }
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('a payment racing the expiry of its link: it settles the payment or it is held as unmatched, never both; one expiry at most', async () => {
    const outcomes = new Set<string>();
    for (let round = 0; round < 12; round++) {
      const link = await createLink(payee, { amount: '10.00', single_use: true, expiry: '1h' });
      const before = await totals();
      // The payer's funds arrive a moment before the due time; an expirer whose clock is a moment past it runs at once.
      clock += 3_600_000 - 1;
      const [expired, paid] = await Promise.all([
        runUnitOfWork(second, (work) => expireDueLinks(work, 'sandbox', new Date(clock + 2))),
        payee.call('POST', '/api/v1/sandbox/deposits', { currency: 'AUD', amount: '10.00', reference: link.reference, settle: 'immediately' }),
      ]);
      assert.equal(paid.status, 201, paid.raw);
      const row = await db().selectFrom('payment_links').select('status').where('id', '=', link.id).executeTakeFirstOrThrow();
      const payment = await db().selectFrom('payments').selectAll().where('id', '=', link.open_payment_id).executeTakeFirstOrThrow();
      const held = await db().selectFrom('unmatched_funds').selectAll().where('payment_link_id', '=', link.id).execute();
      const events = await db().selectFrom('events').select('type').where('type', 'in', ['payment.expired', 'payment.settled']).where('data', '@>', JSON.stringify({ payment_id: link.open_payment_id }) as never).execute();
      const after = await totals();
      if (row.status === 'paid') {
        outcomes.add('paid');
        assert.deepEqual([expired, payment.status, held.length, after.wallets - before.wallets, after.unmatched - before.unmatched], [0, 'settled', 0, 1000n, 0n]);
        assert.deepEqual(events.map((e) => e.type), ['payment.settled']);
      } else {
        outcomes.add('expired');
        assert.deepEqual([expired, row.status, payment.status, held.map((u) => u.reason)], [1, 'expired', 'expired', ['link_expired']]);
        assert.deepEqual([after.wallets - before.wallets, after.unmatched - before.unmatched], [0n, 1000n]);
        assert.deepEqual(events.map((e) => e.type), ['payment.expired']);
      }
      assert.equal(before.inbound - after.inbound, 1000n);
      clock += 1000;
    }
    // Past the due time the link takes nothing, whoever locks it first: the deposit expires it itself.
    const late = await createLink(payee, { amount: '10.00', single_use: true, expiry: '1h' });
    clock += 3_600_000;
    const [, paid] = await Promise.all([
      runUnitOfWork(second, (work) => expireDueLinks(work, 'sandbox', new Date(clock))),
      payee.call('POST', '/api/v1/sandbox/deposits', { currency: 'AUD', amount: '10.00', reference: late.reference, settle: 'immediately' }),
    ]);
    assert.match(paid.body.unmatched_funds_id, /^uf_/);
    const expiredEvents = await db().selectFrom('events').select('id').where('type', '=', 'payment.expired').where('data', '@>', JSON.stringify({ payment_id: late.open_payment_id }) as never).execute();
    assert.equal(expiredEvents.length, 1);
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('several expirers at once (several processes): each due link expires once, with one payment.expired and its funds held once', async () => {
    const links = [];
    for (let i = 0; i < 12; i++) links.push(await createLink(payee, { amount: '10.00', expiry: '1h' }));
    for (const link of links.slice(0, 6)) {
      await payee.call('POST', '/api/v1/sandbox/deposits', { currency: 'AUD', amount: '4.00', reference: link.reference, settle: 'immediately' });
    }
    const before = await totals();
    clock += 3_600_001;
    const passes = await Promise.all([ctx.services.db, second, ctx.services.db, second].map((database) => runUnitOfWork(database, (work) => expireDueLinks(work, 'sandbox', new Date(clock), 5))));
    let total = passes.reduce((s, n) => s + n, 0);
    while (total < links.length) {
      const more = await runUnitOfWork(second, (work) => expireDueLinks(work, 'sandbox', new Date(clock)));
      if (more === 0) break;
      total += more;
    }
    assert.equal(total, links.length);
    for (const link of links) {
      const events = await db().selectFrom('events').select('id').where('type', '=', 'payment.expired').where('data', '@>', JSON.stringify({ payment_id: link.open_payment_id }) as never).execute();
      assert.equal(events.length, 1);
    }
    const after = await totals();
    assert.equal(after.unmatched - before.unmatched, 2400n);
    assert.equal(before.wallets - after.wallets, 2400n);
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });
});
