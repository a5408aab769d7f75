// @pik/sdk against a live in-process server: every resource method at least once (a flow from account creation to
// webhooks), pagination across pages, and onBehalfOf. Errors and replays: sdk-errors.test.ts; retries: sdk-retries.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { responseOf, type Pik } from '../packages/sdk/src/index.ts';
import { createTestPlatform } from './support/context.ts';
import { bankDestination } from './support/ledger.ts';
import { validKyb, validKyc } from './support/onboarding.ts';
import { startSdkServer, type SdkServer } from './support/sdk.ts';

let server: SdkServer;
let pik: Pik;
before(async () => {
  server = await startSdkServer();
  pik = server.pik;
});
after(() => server.ctx.close());

const email = () => `sdk-${Math.random().toString(36).slice(2)}@example.test`;

describe('@pik/sdk: every resource method against a live server', () => {
  let accountId: string;
  let asAccount: Pik;

  it('accounts: current, create, get, update, list; kyc/kyb submit; verification; sandbox approval; capabilities; receiving details', async () => {
    const me = await pik.accounts.current();
    assert.equal(me.id, server.platform.id);
    assert.equal(me.type, 'platform');

    const created = await pik.accounts.create({ customer_type: 'individual', email: email(), country: 'AU', reference_id: 'sdk-1', metadata: { crm: '42' } });
    assert.equal(created.connected_account_id, created.id);
    assert.deepEqual(created.metadata, { crm: '42' });
    accountId = created.id;
    asAccount = pik.onBehalfOf(accountId);
    assert.equal(asAccount.actingFor, accountId);
    assert.equal((await asAccount.accounts.current()).id, accountId, 'onBehalfOf sends x-on-behalf-of');

    assert.equal((await pik.accounts.get(accountId)).reference_id, 'sdk-1');
    const updated = await pik.accounts.update(accountId, { display_name: 'Jane', metadata: { tier: 'gold' } });
    assert.equal(updated.display_name, 'Jane');
    assert.deepEqual(updated.metadata, { crm: '42', tier: 'gold' });
    const page = await pik.accounts.list({ limit: 10 }).page();
    assert.equal(page.object, 'list');
    assert.ok(page.data.some((a) => a.id === accountId));

    const submitted = await pik.accounts.kyc.submit(accountId, validKyc() as never);
    assert.equal(submitted.status, 'pending');
    assert.equal((await pik.accounts.verification.get(accountId)).status, 'pending');
    const decided = await pik.sandbox.decideVerification(accountId, { status: 'approved' });
    assert.equal(decided.status, 'approved');

    const business = await pik.accounts.create({ customer_type: 'business', email: email(), country: 'AU' });
    assert.equal((await pik.accounts.kyb.submit(business.id, validKyb() as never)).status, 'pending');

    const before = await pik.accounts.capabilities.list(accountId);
    assert.ok(before.data.every((c) => c.status === 'inactive'));
    for (const name of ['inbound_payments', 'payouts', 'fx_conversion'] as const) await pik.accounts.capabilities.activate(accountId, name);
    await pik.accounts.capabilities.deactivate(accountId, 'fx_conversion');
    await pik.accounts.capabilities.activate(accountId, 'fx_conversion');
    assert.ok((await pik.accounts.capabilities.list(accountId)).data.every((c) => c.status === 'active'));

    const details = await pik.accounts.receivingDetails(accountId);
    assert.equal(details.account_id, accountId);
  });

  it('virtual account: create, get, release', async () => {
    const issued = await pik.accounts.virtualAccount.create(accountId, { account_name: 'Jane Citizen' });
    assert.equal((await pik.accounts.virtualAccount.get(accountId)).id, issued.id);
    await pik.accounts.virtualAccount.release(accountId);
  });

  it('transfers, wallets and balances, sandbox deposits, payouts and their simulation', async () => {
    const transfer = await pik.transfers.create({ destination_account_id: accountId, currency: 'AUD', amount: '100.00', metadata: { why: 'float' } });
    assert.equal(transfer.amount, '100.00');
    assert.equal((await pik.transfers.get(transfer.id)).id, transfer.id);
    assert.deepEqual((await asAccount.transfers.list().toArray()).map((t) => t.id), [transfer.id]);

    const deposit = await asAccount.sandbox.deposit({ currency: 'AUD', amount: '5.00', settle: 'immediately' } as never);
    assert.equal(deposit.account_id, accountId);

    const payout = await asAccount.payouts.create({ currency: 'AUD', amount: '10.00', destination_type: 'bank_account', destination: bankDestination, metadata: { batch: '1' } });
    assert.equal(payout.status, 'pending');
    assert.equal((await asAccount.payouts.get(payout.id)).id, payout.id);
    assert.deepEqual((await asAccount.payouts.list().toArray()).map((p) => p.id), [payout.id]);
    assert.equal((await asAccount.sandbox.simulatePayout(payout.id, { status: 'completed' })).status, 'completed');

    const balances = await pik.wallets.balances(accountId);
    assert.equal(balances.data.find((b) => b.currency === 'AUD')?.available, '95.00');
    assert.deepEqual(await pik.balances.get(accountId), balances);
    const history = await pik.wallets.transactions(accountId, { currency: 'AUD' }).toArray();
    assert.deepEqual(history.map((t) => t.type).sort(), ['payment_in', 'payment_out', 'transfer_in']);
  });

  it('fx: rates, quotes, conversions', async () => {
    const rate = await asAccount.fx.rates({ sell_currency: 'AUD', buy_currency: 'USD' });
    assert.ok(Number(rate.rate) > 0);
    const quote = await asAccount.fx.quotes.create({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00' });
    assert.equal((await asAccount.fx.quotes.get(quote.id)).id, quote.id);
    const conversion = await asAccount.fx.conversions.create({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00', conversion_type: 'quote', quote_id: quote.id });
    assert.equal((await asAccount.fx.conversions.get(conversion.id)).id, conversion.id);
    assert.deepEqual((await asAccount.fx.conversions.list().toArray()).map((c) => c.id), [conversion.id]);
  });

  it('payment links and payments: create, get, list, cancel; simulate, accept partial; pay a link', async () => {
    const link = await asAccount.paymentLinks.create({ amount_type: 'fixed', currency: 'USDC', amount: '2.000000', reference: 'SDK-1' });
    assert.equal((await asAccount.paymentLinks.get(link.id)).id, link.id);
    assert.ok((await asAccount.paymentLinks.list().toArray()).some((l) => l.id === link.id));
    const paymentId = link.open_payment_id as string;
    assert.equal((await asAccount.payments.get(paymentId)).id, paymentId);
    assert.ok((await asAccount.payments.list().toArray()).some((p) => p.id === paymentId));
    assert.equal((await asAccount.sandbox.simulatePayment(paymentId, { status: 'underpaid' } as never)).status, 'underpaid');
    assert.equal((await asAccount.payments.acceptPartial(paymentId)).status, 'settled');

    const open = await asAccount.paymentLinks.create({ amount_type: 'open', currency: 'USDC', reference: 'SDK-2' } as never);
    const paid = await asAccount.sandbox.payPaymentLink(open.id, { amount: '3.000000', currency: 'USDC' });
    assert.ok(paid);
    const other = await asAccount.paymentLinks.create({ amount_type: 'fixed', currency: 'USDC', amount: '1.000000', reference: 'SDK-3' });
    assert.equal((await asAccount.paymentLinks.cancel(other.id)).status, 'cancelled');
  });

  it('webhooks: create, get, list, update, rotate the secret, test, deliveries, delete; events: list, get, redeliver', async () => {
    const endpoint = await pik.webhooks.create({ url: 'https://hooks.example.com/sdk', events: ['*'], metadata: { team: 'a' } });
    assert.match(endpoint.secret, /^whsec_/);
    assert.equal((await pik.webhooks.get(endpoint.id)).id, endpoint.id);
    assert.ok((await pik.webhooks.list().toArray()).some((e) => e.id === endpoint.id));
    assert.equal((await pik.webhooks.update(endpoint.id, { description: 'SDK' })).description, 'SDK');
    const rotated = await pik.webhooks.rotateSecret(endpoint.id, { expires_in_seconds: 0 });
    assert.notEqual(rotated.secret, endpoint.secret);
    await pik.webhooks.test(endpoint.id);
    // The worker fans the test event out to its delivery in the background: wait for it.
    let deliveries = await pik.webhooks.deliveries(endpoint.id).toArray();
    for (let i = 0; i < 200 && deliveries.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      deliveries = await pik.webhooks.deliveries(endpoint.id).toArray();
    }
    assert.equal(deliveries[0]?.object, 'webhook_delivery');

    const events = await pik.events.list({ type: 'account.updated' }).toArray();
    assert.ok(events.some((e) => e.account_id === accountId));
    const event = events[0] as (typeof events)[number];
    assert.equal((await pik.events.get(event.id)).id, event.id);
    assert.equal(pik.webhooks.events, pik.events);
    const redelivered = await pik.events.redeliver(event.id, { endpoint_id: endpoint.id });
    assert.equal(redelivered.object, 'list');
    assert.equal((await pik.webhooks.delete(endpoint.id)).deleted, true);
  });
});

describe('@pik/sdk: pagination', () => {
  it('for await walks every page in order; page() reads one and nextPage() the next; toArray({max}) stops early', async () => {
    const platform = await createTestPlatform(server.ctx);
    const client = server.client({ apiKey: platform.keys.sandbox });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await client.accounts.create({ customer_type: 'individual', email: email(), country: 'AU' })).id);
    const newestFirst = [...ids].reverse();

    const seen: string[] = [];
    for await (const account of client.accounts.list({ limit: 3 })) seen.push(account.id);
    assert.deepEqual(seen, newestFirst);

    const first = await client.accounts.list({ limit: 3 }).page();
    assert.equal(first.has_more, true);
    assert.deepEqual(first.data.map((a) => a.id), newestFirst.slice(0, 3));
    const second = await first.nextPage();
    assert.deepEqual(second?.data.map((a) => a.id), newestFirst.slice(3, 6));
    const third = await second?.nextPage();
    assert.deepEqual(third?.data.map((a) => a.id), newestFirst.slice(6));
    assert.equal(third?.has_more, false);
    assert.equal(await third?.nextPage(), null);
    assert.equal(responseOf(first)?.status, 200);

    assert.deepEqual((await client.accounts.list({ limit: 2 }).toArray({ max: 3 })).map((a) => a.id), newestFirst.slice(0, 3));
    const fromCursor = await client.accounts.list({ limit: 3, cursor: first.next_cursor as string }).page();
    assert.deepEqual(fromCursor.data.map((a) => a.id), newestFirst.slice(3, 6));
  });
});
