// Payments against payment links: every status transition, matching of inbound funds (sandbox and operator deposits),
// accept-partial, the simulator, unmatched funds and the operator's decisions, the events and the link's webhook_url.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../src/config.ts';
import { expireDueLinks, PaymentLinkExpirer } from '../src/domain/payment-links/expirer.ts';
import { runUnitOfWork } from '../src/db/unit-of-work.ts';
import { startTestApp, type CallResult, type TestContext } from './support/context.ts';
import { checkLedgerInvariants } from './support/ledger.ts';
import { createLink, createPayee, type Payee } from './support/payment-links.ts';
import { startReceiver, type Receiver } from './support/webhook-receiver.ts';

let ctx: TestContext;
let payee: Payee;
let receiver: Receiver;
let clock = Date.now();

before(async () => {
  receiver = await startReceiver('/hooks');
  ctx = await startTestApp({ webhooks: { ...loadConfig({}).webhooks, allowSandboxLoopback: true, pollMs: 50, retryScheduleMs: [60_000] } }, { now: () => new Date(clock) });
  payee = await createPayee(ctx);
});
after(async () => {
  await ctx.close();
  await receiver.close();
});

function expectError(result: CallResult, status: number, code: string): void {
  assert.equal(result.status, status, result.raw);
  assert.equal(result.body.error.code, code, result.raw);
}

const payment = async (id: string) => (await payee.call('GET', `/api/v1/payments/${id}`)).body;
const link = async (id: string) => (await payee.call('GET', `/api/v1/payment-links/${id}`)).body;
const aud = async () => (await payee.call('GET', `/api/v1/accounts/${payee.account}/wallet/balances`)).body.data[0] as { available: string; pending: string };
const deposit = (reference: string, amount: string, currency = 'AUD') =>
  payee.call('POST', '/api/v1/sandbox/deposits', { currency, amount, reference, settle: 'immediately' });
const simulate = (id: string, body: Record<string, unknown>) => payee.call('POST', `/api/v1/sandbox/payments/${id}/simulate`, body);
const held = async (linkId: string) => (await ctx.admin('GET', '/admin/v1/unmatched-funds?environment=sandbox&limit=500')).body.data.filter((u: { payment_link_id: string }) => u.payment_link_id === linkId);
const eventsOf = async (type: string, paymentId: string) =>
  (await payee.call('GET', `/api/v1/events?type=${type}&limit=100`)).body.data.filter((e: { data: { payment_id?: string } }) => e.data.payment_id === paymentId);

describe('awaiting_funds → settled | underpaid | overpaid', () => {
  it('settled: funds with the reference (any case, spaces trimmed) and the exact amount; the wallet is credited; payment.settled; a single-use link is paid', async () => {
    const before = await aud();
    const l = await createLink(payee, { amount: '40.00', single_use: true });
    const paid = await deposit(`  ${l.reference.toLowerCase()} `, '40.00');
    assert.equal(paid.status, 201, paid.raw);
    assert.deepEqual([paid.body.payment_id, paid.body.status, paid.body.unmatched_funds_id], [l.open_payment_id, 'settled', null]);
    const p = await payment(l.open_payment_id);
    assert.deepEqual([p.status, p.amount_received, p.partial], ['settled', '40.00', false]);
    assert.ok(p.settled_at);
    assert.deepEqual([(await link(l.id)).status, (await link(l.id)).open_payment_id], ['paid', null]);
    assert.equal(Number((await aud()).available) - Number(before.available), 40);
    const [event] = await eventsOf('payment.settled', p.id);
    assert.deepEqual(event.data, {
      deposit_id: paid.body.id,
      transaction_id: paid.body.transaction_id,
      account_id: payee.account,
      currency: 'AUD',
      amount: '40.00',
      reference: l.reference,
      payment_id: p.id,
      payment_link_id: l.id,
      status: 'settled',
      amount_expected: '40.00',
      amount_received: '40.00',
      partial: false,
    });
    const transactions = await payee.call('GET', `/api/v1/accounts/${payee.account}/transactions?type=payment_in&limit=5`);
    assert.deepEqual([transactions.body.data[0].source_id, transactions.body.data[0].status], [paid.body.id, 'settled']);
  });

  it('underpaid: held in the wallet\'s pending (not spendable), payment.underpaid; a top-up to the amount settles it', async () => {
    const before = await aud();
    const l = await createLink(payee, { amount: '50.00' });
    await deposit(l.reference, '20.00');
    let p = await payment(l.open_payment_id);
    assert.deepEqual([p.status, p.amount_received], ['underpaid', '20.00']);
    const during = await aud();
    assert.deepEqual([Number(during.pending) - Number(before.pending), Number(during.available) - Number(before.available)], [20, 0]);
    assert.equal((await eventsOf('payment.underpaid', p.id)).length, 1);
    await deposit(l.reference, '30.00');
    p = await payment(l.open_payment_id);
    assert.deepEqual([p.status, p.amount_received, p.partial], ['settled', '50.00', false]);
    const after = await aud();
    assert.deepEqual([Number(after.pending) - Number(before.pending), Number(after.available) - Number(before.available)], [0, 50]);
    // a reusable link opens its next payment
    const next = await link(l.id);
    assert.equal(next.status, 'active');
    assert.match(next.open_payment_id, /^pay_/);
    assert.notEqual(next.open_payment_id, p.id);
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('overpaid: everything received is credited, payment.overpaid (directly, and from underpaid by a top-up)', async () => {
    const l = await createLink(payee, { amount: '10.00', single_use: true });
    await deposit(l.reference, '12.50');
    const p = await payment(l.open_payment_id);
    assert.deepEqual([p.status, p.amount_received], ['overpaid', '12.50']);
    assert.equal((await eventsOf('payment.overpaid', p.id))[0].data.amount_received, '12.50');
    assert.equal((await link(l.id)).status, 'paid');
    const m = await createLink(payee, { amount: '10.00' });
    await deposit(m.reference, '4.00');
    await deposit(m.reference, '7.00');
    assert.deepEqual([(await payment(m.open_payment_id)).status, (await payment(m.open_payment_id)).amount_received], ['overpaid', '11.00']);
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('an open-amount link settles whatever arrives; operator-recorded deposits in production are matched the same way', async () => {
    const open = await createLink(payee, { amount_type: 'open', amount: undefined, currency: 'USDC' });
    await deposit(open.reference, '3.141592', 'USDC');
    assert.deepEqual([(await payment(open.open_payment_id)).status, (await payment(open.open_payment_id)).amount_received], ['settled', '3.141592']);

    const production = await createPayee(ctx, 'production', payee.platform);
    const created = await production.call('POST', '/api/v1/payment-links', { amount_type: 'fixed', currency: 'AUD', amount: '75.00', reference: 'PROD-1' });
    assert.equal(created.status, 201, created.raw);
    const recorded = await ctx.admin('POST', '/admin/v1/deposits', { environment: 'production', account_id: production.account, currency: 'AUD', amount: '75.00', reference: 'prod-1' });
    assert.equal(recorded.status, 201, recorded.raw);
    assert.equal(recorded.body.payment_id, created.body.open_payment_id);
    assert.equal((await production.call('GET', `/api/v1/payments/${created.body.open_payment_id}`)).body.status, 'settled');
    await checkLedgerInvariants(ctx.services.db, 'production');
  });
});

describe('accept-partial', () => {
  it('settles an underpaid payment for what arrived (partial: true); again → the same payment; otherwise 409 PAYMENT_ALREADY_SETTLED', async () => {
    const l = await createLink(payee, { amount: '80.00', single_use: true });
    expectError(await payee.call('POST', `/api/v1/payments/${l.open_payment_id}/accept-partial`), 409, 'PAYMENT_ALREADY_SETTLED');
    await simulate(l.open_payment_id, { status: 'underpaid', amount_received: '60.00' });
    const before = await aud();
    const accepted = await payee.call('POST', `/api/v1/payments/${l.open_payment_id}/accept-partial`);
    assert.equal(accepted.status, 200, accepted.raw);
    assert.deepEqual([accepted.body.status, accepted.body.partial, accepted.body.amount_received], ['settled', true, '60.00']);
    const after = await aud();
    assert.deepEqual([Number(after.available) - Number(before.available), Number(before.pending) - Number(after.pending)], [60, 60]);
    assert.equal((await eventsOf('payment.settled', l.open_payment_id))[0].data.partial, true);
    const again = await payee.call('POST', `/api/v1/payments/${l.open_payment_id}/accept-partial`);
    assert.deepEqual([again.status, again.raw], [200, accepted.raw]);
    const full = await createLink(payee, { amount: '5.00' });
    await simulate(full.open_payment_id, { status: 'settled' });
    const refused = await payee.call('POST', `/api/v1/payments/${full.open_payment_id}/accept-partial`);
    expectError(refused, 409, 'PAYMENT_ALREADY_SETTLED');
    assert.equal(refused.body.error.detail.status, 'settled');
    expectError(await payee.call('POST', '/api/v1/payments/pay_nothing/accept-partial'), 404, 'PAYMENT_NOT_FOUND');
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });
});

describe('→ expired, and funds no active link can take', () => {
  it('expiry in the background: awaiting_funds → expired with payment.expired; an underpaid payment\'s funds leave pending for unmatched funds', async () => {
    const quiet = await createLink(payee, { expiry: '1h' });
    const partly = await createLink(payee, { expiry: '1h', amount: '30.00' });
    await deposit(partly.reference, '10.00');
    const before = await aud();
    const expirer = new PaymentLinkExpirer(ctx.services, (error) => assert.fail(String(error)));
    assert.equal(await expirer.runOnce(), 0, 'nothing due yet');
    clock += 3_600_000 + 1;
    assert.ok((await expirer.runOnce()) >= 2);
    assert.deepEqual([(await link(quiet.id)).status, (await payment(quiet.open_payment_id)).status], ['expired', 'expired']);
    assert.deepEqual([(await link(partly.id)).status, (await payment(partly.open_payment_id)).status], ['expired', 'expired']);
    assert.ok((await payment(partly.open_payment_id)).expired_at);
    const after = await aud();
    assert.deepEqual([Number(before.pending) - Number(after.pending), Number(after.available) - Number(before.available)], [10, 0]);
    const [funds] = await held(partly.id);
    assert.deepEqual([funds.amount, funds.reason, funds.status, funds.payment_id], ['10.00', 'payment_expired', 'held', partly.open_payment_id]);
    const [expired] = await eventsOf('payment.expired', partly.open_payment_id);
    assert.equal(expired.data.unmatched_funds_id, funds.id);
    assert.equal((await eventsOf('payment.expired', quiet.open_payment_id))[0].data.unmatched_funds_id, null);
    // the expirer again: nothing expires twice
    assert.equal(await runUnitOfWork(ctx.services.db, (work) => expireDueLinks(work, 'sandbox', new Date(clock))), 0);
    assert.equal((await eventsOf('payment.expired', quiet.open_payment_id)).length, 1);
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('late, for a paid, cancelled or expired link, or in another currency: held as unmatched, never credited; the operator assigns or returns', async () => {
    const single = await createLink(payee, { single_use: true, amount: '5.00' });
    await deposit(single.reference, '5.00');
    const cancelled = await createLink(payee);
    await payee.call('DELETE', `/api/v1/payment-links/${cancelled.id}`);
    const expiring = await createLink(payee, { expiry: '1h' });
    clock += 3_600_000 + 1; // past its expiry; the deposit expires it itself if the expirer has not
    const other = await createLink(payee, { amount: '5.00' });
    const before = await aud();
    const cases: [string, string, string][] = [
      [single.id, single.reference, 'link_paid'],
      [cancelled.id, cancelled.reference, 'link_cancelled'],
      [expiring.id, expiring.reference, 'link_expired'],
    ];
    for (const [, reference] of cases) {
      const late = await deposit(reference, '5.00');
      assert.equal(late.status, 201, late.raw);
      assert.deepEqual([late.body.transaction_id, late.body.payment_id], [null, null]);
      assert.match(late.body.unmatched_funds_id, /^uf_/);
    }
    const wrongCurrency = await deposit(other.reference, '5.000000', 'USDT');
    assert.match(wrongCurrency.body.unmatched_funds_id, /^uf_/);
    assert.deepEqual(await aud(), before, 'nothing reached the wallet');
    for (const [id, , reason] of cases) assert.deepEqual((await held(id)).map((u: { reason: string }) => u.reason), [reason]);
    assert.equal((await held(other.id))[0].reason, 'currency_mismatch');
    assert.equal((await payment(other.open_payment_id)).status, 'awaiting_funds');

    const [paidLate] = await held(single.id);
    const assigned = await ctx.admin('POST', `/admin/v1/unmatched-funds/${paidLate.id}/assign`, { environment: 'sandbox', note: 'customer paid twice; keep' });
    assert.equal(assigned.status, 200, assigned.raw);
    assert.equal(assigned.body.status, 'assigned');
    assert.match(assigned.body.transaction_id, /^txn_/);
    assert.equal(Number((await aud()).available) - Number(before.available), 5);
    const again = await ctx.admin('POST', `/admin/v1/unmatched-funds/${paidLate.id}/assign`, { environment: 'sandbox', note: 'customer paid twice; keep' });
    assert.deepEqual([again.status, again.body.status], [200, 'assigned']);
    expectError(await ctx.admin('POST', `/admin/v1/unmatched-funds/${paidLate.id}/return`, { environment: 'sandbox' }), 409, 'UNMATCHED_FUNDS_RESOLVED');
    const [cancelledLate] = await held(cancelled.id);
    const returned = await ctx.admin('POST', `/admin/v1/unmatched-funds/${cancelledLate.id}/return`, { environment: 'sandbox' });
    assert.deepEqual([returned.status, returned.body.status, returned.body.transaction_id], [200, 'returned', null]);
    expectError(await ctx.admin('POST', '/admin/v1/unmatched-funds/uf_nothing/assign', { environment: 'sandbox' }), 404, 'UNMATCHED_FUNDS_NOT_FOUND');
    const list = await ctx.admin('GET', '/admin/v1/unmatched-funds?environment=sandbox&status=held&limit=500');
    assert.ok(list.body.data.every((u: { status: string }) => u.status === 'held'));
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });
});

describe('POST /api/v1/sandbox/payments/{id}/simulate and the sandbox payer', () => {
  it('drives every outcome; the same outcome again answers the payment; an ended payment → 409; production → 403 SANDBOX_ONLY', async () => {
    const outcomes: [string, Record<string, unknown>, string, string][] = [
      ['settled', {}, 'settled', '20.00'],
      ['underpaid', {}, 'underpaid', '10.00'],
      ['underpaid', { amount_received: '19.99' }, 'underpaid', '19.99'],
      ['overpaid', {}, 'overpaid', '21.00'],
      ['overpaid', { amount_received: '25.00' }, 'overpaid', '25.00'],
      ['expired', {}, 'expired', '0.00'],
    ];
    for (const [status, extra, expected, received] of outcomes) {
      const l = await createLink(payee, { amount: '20.00' });
      const result = await simulate(l.open_payment_id, { status, ...extra });
      assert.equal(result.status, 200, result.raw);
      assert.deepEqual([result.body.status, result.body.amount_received], [expected, received], status);
      const again = await simulate(l.open_payment_id, { status, ...extra });
      assert.deepEqual([again.status, again.body.status], [200, expected]);
      if (status !== 'underpaid') expectError(await simulate(l.open_payment_id, { status: status === 'expired' ? 'settled' : 'expired' }), 409, 'PAYMENT_ALREADY_SETTLED');
    }
    const l = await createLink(payee, { amount: '20.00' });
    for (const amount_received of ['20.00', '30.00', 'abc']) {
      const refused = await simulate(l.open_payment_id, { status: 'underpaid', amount_received });
      assert.equal(refused.status, 400, refused.raw);
    }
    const open = await createLink(payee, { amount_type: 'open', amount: undefined });
    assert.equal((await simulate(open.open_payment_id, { status: 'underpaid' })).status, 400);
    assert.equal((await simulate(open.open_payment_id, { status: 'settled' })).status, 400);
    assert.equal((await simulate(open.open_payment_id, { status: 'settled', amount_received: '7.00' })).body.amount_received, '7.00');
    expectError(await simulate('pay_nothing', { status: 'settled' }), 404, 'PAYMENT_NOT_FOUND');
    expectError(await ctx.call('POST', `/api/v1/sandbox/payments/${l.open_payment_id}/simulate`, { key: payee.platform.keys.production, body: { status: 'settled' } }), 403, 'SANDBOX_ONLY');
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('the sandbox payer pays a link as a payer would: its amount by default; to an ended link the money is held as unmatched', async () => {
    const l = await createLink(payee, { amount: '9.00', single_use: true });
    const paid = await payee.call('POST', `/api/v1/sandbox/payment-links/${l.id}/pay`);
    assert.equal(paid.status, 201, paid.raw);
    assert.deepEqual([paid.body.amount, paid.body.payment_id, paid.body.sender_name], ['9.00', l.open_payment_id, 'Sandbox payer']);
    const late = await payee.call('POST', `/api/v1/sandbox/payment-links/${l.id}/pay`, { amount: '1.00', sender_name: 'Jo' });
    assert.match(late.body.unmatched_funds_id, /^uf_/);
    const open = await createLink(payee, { amount_type: 'open', amount: undefined });
    expectError(await payee.call('POST', `/api/v1/sandbox/payment-links/${open.id}/pay`), 400, 'INVALID_REQUEST');
    expectError(await payee.call('POST', '/api/v1/sandbox/payment-links/pl_nothing/pay'), 404, 'PAYMENT_LINK_NOT_FOUND');
    expectError(await ctx.call('POST', `/api/v1/sandbox/payment-links/${l.id}/pay`, { key: payee.platform.keys.production }), 403, 'SANDBOX_ONLY');
  });
});

describe('GET /api/v1/payments', () => {
  it('filtered by link and status, newest first, paged; 404 PAYMENT_NOT_FOUND for another account\'s', async () => {
    const l = await createLink(payee, { amount: '1.00' });
    await simulate(l.open_payment_id, { status: 'settled' });
    await simulate((await link(l.id)).open_payment_id, { status: 'settled' });
    const all = await payee.call('GET', `/api/v1/payments?payment_link_id=${l.id}`);
    assert.deepEqual(all.body.data.map((p: { status: string }) => p.status), ['awaiting_funds', 'settled', 'settled']);
    const settled = await payee.call('GET', `/api/v1/payments?payment_link_id=${l.id}&status=settled&limit=1`);
    assert.equal(settled.body.data.length, 1);
    const second = await payee.call('GET', `/api/v1/payments?payment_link_id=${l.id}&status=settled&limit=1&cursor=${settled.body.next_cursor}`);
    assert.deepEqual([second.body.data.length, second.body.next_cursor], [1, null]);
    assert.equal(second.body.data[0].id, l.open_payment_id);
    const other = await createPayee(ctx, 'sandbox', payee.platform);
    expectError(await other.call('GET', `/api/v1/payments/${l.open_payment_id}`), 404, 'PAYMENT_NOT_FOUND');
    assert.equal((await other.call('GET', `/api/v1/payments?payment_link_id=${l.id}`)).body.data.length, 0);
  });
});

describe("a link's webhook_url", () => {
  it("receives that link's payment.* events, signed with its own secret, and nothing of other links; the platform's endpoints get them too", async () => {
    const platformEndpoint = await ctx.call('POST', '/api/v1/webhooks', { key: payee.platform.keys.sandbox, body: { url: `${receiver.url}?platform`, events: ['*'] } });
    assert.equal(platformEndpoint.status, 201, platformEndpoint.raw);
    const l = await createLink(payee, { amount: '10.00', webhook_url: `${receiver.url}?link` });
    const other = await createLink(payee, { amount: '10.00' });
    await simulate(other.open_payment_id, { status: 'settled' });
    await simulate(l.open_payment_id, { status: 'underpaid' });
    await simulate(l.open_payment_id, { status: 'settled' });
    await payee.call('DELETE', `/api/v1/payment-links/${l.id}`);
    const toLink = await receiver.waitFor(4, (r) => r.url.endsWith('?link'), 10_000);
    const signer = new Webhook(l.webhook_secret);
    const types = toLink.map((r) => {
      const body = signer.verify(r.body, { 'webhook-id': r.headers['webhook-id'] as string, 'webhook-timestamp': r.headers['webhook-timestamp'] as string, 'webhook-signature': r.headers['webhook-signature'] as string }) as { type: string; data: { payment_link_id?: string; id?: string } };
      assert.equal(body.data.payment_link_id ?? body.data.id, l.id);
      return body.type;
    });
    assert.deepEqual(types.sort(), ['payment.expired', 'payment.settled', 'payment.underpaid', 'payment_link.cancelled']);
    const toPlatform = await receiver.waitFor(4, (r) => r.url.endsWith('?platform') && r.body.includes('"payment.'), 10_000);
    assert.ok(toPlatform.some((r) => r.body.includes(other.id)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.received.filter((r) => r.url.endsWith('?link')).length, 4, 'nothing else reached the link\'s endpoint');
  });
});
