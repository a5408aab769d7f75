// Payment links through the API: creating (every validation error), reading, listing with filters and paging,
// cancelling, and the uniqueness of a reference among an account's active links.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestPlatform, startTestApp, type CallResult, type TestContext } from './support/context.ts';
import { checkLedgerInvariants } from './support/ledger.ts';
import { createLink, createPayee, uniqueReference, type Payee } from './support/payment-links.ts';

let ctx: TestContext;
let payee: Payee;

before(async () => {
  ctx = await startTestApp();
  payee = await createPayee(ctx);
});
after(() => ctx.close());

function expectError(result: CallResult, status: number, code: string, field?: string): void {
  assert.equal(result.status, status, result.raw);
  assert.equal(result.body.error.code, code, result.raw);
  if (field !== undefined) assert.equal(result.body.error.detail?.field, field, result.raw);
}

const create = (body: Record<string, unknown>) => payee.call('POST', '/api/v1/payment-links', { amount_type: 'fixed', currency: 'AUD', amount: '10.00', reference: uniqueReference(), ...body });

describe('POST /api/v1/payment-links', () => {
  it('201: a fixed AUD link with its page, QR code, open payment and every field', async () => {
    const link = await createLink(payee, {
      amount: '125.50',
      reference: 'inv-1001',
      expiry: '7d',
      single_use: true,
      merchant_name: 'Acme Plumbing',
      merchant_logo_url: 'https://cdn.example.com/acme.png',
      redirect_url: 'https://acme.example.com/thanks',
      metadata: { order: '1001' },
    });
    assert.match(link.id, /^pl_[0-9a-z]{26}$/);
    assert.equal(link.object, 'payment_link');
    assert.equal(link.status, 'active');
    assert.equal(link.account_id, payee.account);
    assert.deepEqual([link.amount_type, link.currency, link.amount, link.reference, link.single_use], ['fixed', 'AUD', '125.50', 'inv-1001', true]);
    assert.equal(link.payment_url, `${ctx.services.config.publicUrl}/pay/${link.id}`);
    assert.equal(link.qr_code_url, `${ctx.services.config.publicUrl}/pay/${link.id}/qr.svg`);
    assert.match(link.open_payment_id, /^pay_/);
    assert.deepEqual(link.metadata, { order: '1001' });
    assert.equal(link.webhook_url, null);
    assert.equal(link.webhook_secret, null);
    const days = (Date.parse(link.expires_at) - Date.parse(link.created_at)) / 86_400_000;
    assert.equal(Math.round(days), 7);
    const read = await payee.call('GET', `/api/v1/payment-links/${link.id}`);
    assert.equal(read.status, 200);
    const { webhook_secret: _secret, ...shown } = link;
    assert.deepEqual(read.body, shown);
    const payment = await payee.call('GET', `/api/v1/payments/${link.open_payment_id}`);
    assert.deepEqual(
      [payment.body.status, payment.body.amount_expected, payment.body.amount_received, payment.body.partial, payment.body.reference, payment.body.payment_link_id],
      ['awaiting_funds', '125.50', '0.00', false, 'inv-1001', link.id],
    );
  });

  it('201: open-amount links in USDT and USDC, to the account\'s Solana addresses; an ISO expiry', async () => {
    const expiry = new Date(Date.now() + 3_600_000).toISOString();
    for (const currency of ['USDT', 'USDC']) {
      const link = await createLink(payee, { amount_type: 'open', currency, amount: undefined, expiry });
      assert.deepEqual([link.currency, link.amount, link.amount_type, link.expires_at], [currency, null, 'open', expiry]);
    }
    const receiving = await payee.call('GET', `/api/v1/accounts/${payee.account}/receiving-details`);
    assert.equal(receiving.status, 200);
  });

  it('400 for each field, naming it; UNSUPPORTED_CURRENCY lists AUD, USDT and USDC', async () => {
    expectError(await create({ amount_type: 'variable' }), 400, 'INVALID_REQUEST');
    const usd = await create({ currency: 'USD' });
    expectError(usd, 400, 'UNSUPPORTED_CURRENCY', 'currency');
    assert.deepEqual(usd.body.error.detail.supported, ['AUD', 'USDT', 'USDC']);
    expectError(await create({ currency: 'XYZ' }), 400, 'UNSUPPORTED_CURRENCY');
    expectError(await create({ amount: undefined }), 400, 'INVALID_AMOUNT', 'amount');
    expectError(await create({ amount: '10.001' }), 400, 'INVALID_AMOUNT', 'amount');
    expectError(await create({ amount: 10 }), 400, 'INVALID_AMOUNT', 'amount');
    expectError(await create({ amount_type: 'open', amount: '10.00' }), 400, 'INVALID_REQUEST', 'amount');
    for (const reference of ['', 'has space', 'x'.repeat(19), '-lead', 'semi;colon']) expectError(await create({ reference }), 400, 'INVALID_REQUEST', 'reference');
    for (const expiry of ['soon', '10s', '400d', '2020-01-01T00:00:00Z', '2030-02-30T00:00:00Z']) expectError(await create({ expiry }), 400, 'INVALID_REQUEST', 'expiry');
    expectError(await create({ single_use: 'yes' }), 400, 'INVALID_REQUEST');
    expectError(await create({ merchant_name: ' ' }), 400, 'INVALID_REQUEST', 'merchant_name');
    expectError(await create({ merchant_logo_url: 'http://cdn.example.com/a.png' }), 400, 'INVALID_REQUEST', 'merchant_logo_url');
    for (const redirect_url of ['javascript:alert(1)', '/relative', 'https://user:pw@example.com/']) expectError(await create({ redirect_url }), 400, 'INVALID_REQUEST', 'redirect_url');
    expectError(await create({ metadata: { a: 1 } }), 400, 'INVALID_REQUEST', 'metadata.a');
    expectError(await create({ metadata: ['a'] }), 400, 'INVALID_REQUEST', 'metadata');
    expectError(await create({ unknown_field: 1 }), 400, 'INVALID_REQUEST');
  });

  it('400 INVALID_WEBHOOK_URL for a webhook_url the webhook rules refuse, naming webhook_url', async () => {
    for (const webhook_url of ['https://10.0.0.1/hook', 'ftp://hooks.example.com/', 'https://169.254.169.254/latest']) {
      const result = await create({ webhook_url });
      expectError(result, 400, webhook_url.startsWith('ftp') ? 'INVALID_WEBHOOK_URL' : 'INVALID_WEBHOOK_URL', 'webhook_url');
    }
  });

  it('404 VIRTUAL_ACCOUNT_NOT_FOUND for an AUD link of an account without a virtual account', async () => {
    const withoutVan = await createPayee(ctx, 'sandbox', payee.platform, { virtualAccount: false });
    const result = await withoutVan.call('POST', '/api/v1/payment-links', { amount_type: 'fixed', currency: 'AUD', amount: '1.00', reference: 'NOVAN' });
    expectError(result, 404, 'VIRTUAL_ACCOUNT_NOT_FOUND');
    assert.match(result.body.error.message, /virtual-account/);
  });

  it('409 DUPLICATE_REFERENCE for a reference an active link of the account has, whatever its case; free again once that link ends; other accounts unaffected', async () => {
    const reference = uniqueReference('DUP');
    const first = await createLink(payee, { reference });
    const again = await create({ reference: reference.toLowerCase() });
    expectError(again, 409, 'DUPLICATE_REFERENCE', 'reference');
    const concurrent = await Promise.all([create({ reference: `${reference}X` }), create({ reference: `${reference}X` })]);
    assert.deepEqual(concurrent.map((r) => r.status).sort(), [201, 409]);
    const other = await createPayee(ctx, 'sandbox', payee.platform);
    assert.equal((await other.call('POST', '/api/v1/payment-links', { amount_type: 'fixed', currency: 'AUD', amount: '1.00', reference })).status, 201);
    assert.equal((await payee.call('DELETE', `/api/v1/payment-links/${first.id}`)).status, 200);
    assert.equal((await create({ reference })).status, 201);
  });
});

describe('GET /api/v1/payment-links', () => {
  it('newest first, filtered by status, paged by cursor; only the account in scope', async () => {
    const own = await createPayee(ctx, 'sandbox', payee.platform);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createLink(own)).id);
    assert.equal((await own.call('DELETE', `/api/v1/payment-links/${ids[1]}`)).status, 200);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: CallResult = await own.call('GET', `/api/v1/payment-links?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200, page.raw);
      seen.push(...page.body.data.map((l: { id: string }) => l.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
    const cancelled = await own.call('GET', '/api/v1/payment-links?status=cancelled');
    assert.deepEqual(cancelled.body.data.map((l: { id: string }) => l.id), [ids[1]]);
    assert.equal(cancelled.body.data[0].open_payment_id, null);
    const active = await own.call('GET', '/api/v1/payment-links?status=active');
    assert.equal(active.body.data.length, 4);
    expectError(await own.call('GET', '/api/v1/payment-links?status=paused'), 400, 'INVALID_REQUEST');
    expectError(await own.call('GET', '/api/v1/payment-links?cursor=bm9wZQ'), 400, 'INVALID_CURSOR');
    // another account of the same platform sees none of them; nor does the platform itself
    assert.ok(!(await payee.call('GET', '/api/v1/payment-links?limit=100')).body.data.some((l: { id: string }) => ids.includes(l.id)));
    expectError(await payee.call('GET', `/api/v1/payment-links/${ids[0]}`), 404, 'PAYMENT_LINK_NOT_FOUND');
  });

  it('404 PAYMENT_LINK_NOT_FOUND for another platform\'s link, the other environment\'s, or an unknown id', async () => {
    const link = await createLink(payee);
    const stranger = await createTestPlatform(ctx);
    expectError(await ctx.call('GET', `/api/v1/payment-links/${link.id}`, { key: stranger.keys.sandbox }), 404, 'PAYMENT_LINK_NOT_FOUND');
    expectError(await ctx.call('GET', `/api/v1/payment-links/${link.id}`, { key: payee.platform.keys.production }), 404, 'PAYMENT_LINK_NOT_FOUND');
    expectError(await payee.call('GET', '/api/v1/payment-links/pl_nothing'), 404, 'PAYMENT_LINK_NOT_FOUND');
    expectError(await ctx.call('DELETE', `/api/v1/payment-links/${link.id}`, { key: stranger.keys.sandbox }), 404, 'PAYMENT_LINK_NOT_FOUND');
  });
});

describe('DELETE /api/v1/payment-links/{id}', () => {
  it('cancels: the link, its open payment expired, payment_link.cancelled recorded; again → the cancelled link; a paid link → 409 PAYMENT_LINK_NOT_ACTIVE', async () => {
    const link = await createLink(payee, { single_use: true });
    const cancelled = await payee.call('DELETE', `/api/v1/payment-links/${link.id}`);
    assert.equal(cancelled.status, 200, cancelled.raw);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.ok(cancelled.body.ended_at);
    assert.equal((await payee.call('GET', `/api/v1/payments/${link.open_payment_id}`)).body.status, 'expired');
    const again = await payee.call('DELETE', `/api/v1/payment-links/${link.id}`);
    assert.deepEqual([again.status, again.raw], [200, cancelled.raw]);
    const events = await payee.call('GET', '/api/v1/events?type=payment_link.cancelled&limit=100');
    const event = events.body.data.find((e: { data: { id: string } }) => e.data.id === link.id);
    assert.deepEqual(event.data, { id: link.id, account_id: payee.account, amount_type: 'fixed', currency: 'AUD', amount: '100.00', reference: link.reference, status: 'cancelled', single_use: true });

    const paid = await createLink(payee, { single_use: true });
    assert.equal((await payee.call('POST', `/api/v1/sandbox/payments/${paid.open_payment_id}/simulate`, { status: 'settled' })).status, 200);
    const refused = await payee.call('DELETE', `/api/v1/payment-links/${paid.id}`);
    expectError(refused, 409, 'PAYMENT_LINK_NOT_ACTIVE');
    assert.equal(refused.body.error.detail.status, 'paid');
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('a link\'s webhook_url is a hidden endpoint: not among GET /webhooks, not counted against the limit; its secret is shown once', async () => {
    const link = await createLink(payee, { webhook_url: 'https://hooks.example.com/link' });
    assert.match(link.webhook_secret, /^whsec_/);
    assert.equal(link.webhook_url, 'https://hooks.example.com/link');
    assert.equal((await payee.call('GET', `/api/v1/payment-links/${link.id}`)).body.webhook_secret, undefined);
    const endpoints = await ctx.call('GET', '/api/v1/webhooks', { key: payee.platform.keys.sandbox });
    assert.ok(!JSON.stringify(endpoints.body).includes('hooks.example.com/link'));
  });
});
