// Dashboard › Payments › Payment Links over HTTP: list and filter, create (and its errors), a link with its payments,
// a payment's page, cancel; another platform's links are not found; forms need their CSRF token.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestContext } from './support/context.ts';
import { signedInOwner } from './support/dashboard.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

const base = '/dashboard/payments/links/sandbox';

describe('Payments › Payment Links', () => {
  it('creates a link from the form, shows it with its payments, a payment, and cancels it', async () => {
    const { platform, client } = await signedInOwner(ctx);
    const list = await client.get(base);
    assert.equal(list.status, 200);
    assert.match(list.body, /<a href="\/dashboard\/payments\/links\/sandbox" aria-current="page">Payment Links<\/a>/);
    assert.ok(list.body.includes('No sandbox payment links.'));
    assert.ok(list.body.includes(`<option value="${platform.id}"`));

    const created = await client.post(base, { account_id: platform.id, currency: 'USDC', amount_type: 'fixed', amount: '12.500000', reference: 'DASH-1', expiry: '7d', merchant_name: 'Dash Co', single_use: 'on', redirect_url: '' });
    assert.equal(created.status, 303, created.body);
    const linkUrl = created.location as string;
    assert.match(linkUrl, /^\/dashboard\/payments\/links\/sandbox\/pl_[0-9a-z]{26}\?created=1$/);
    const linkId = /pl_[0-9a-z]{26}/.exec(linkUrl)?.[0] as string;
    const shown = await client.get(linkUrl);
    assert.equal(shown.status, 200);
    for (const text of ['DASH-1', '12.500000 USDC', 'Single use', `/pay/${linkId}`, 'Cancel payment link', 'awaiting funds', 'Payment link created.']) assert.ok(shown.body.includes(text), text);
    const paymentId = /\/dashboard\/payments\/sandbox\/(pay_[0-9a-z]{26})/.exec(shown.body)?.[1] as string;
    const payment = await client.get(`/dashboard/payments/sandbox/${paymentId}`);
    assert.equal(payment.status, 200);
    assert.ok(payment.body.includes('12.500000 USDC') && payment.body.includes('DASH-1'));

    const listed = await client.get(`${base}?status=active`);
    assert.ok(listed.body.includes(linkId));
    assert.ok(!(await client.get(`${base}?status=cancelled`)).body.includes(linkId));

    await client.get(linkUrl);
    const cancelled = await client.post(`${base}/${linkId}/cancel`, {});
    assert.equal(cancelled.status, 303);
    const after = await client.get(cancelled.location as string);
    assert.ok(after.body.includes('Payment link cancelled.'));
    assert.ok((await client.get(`${base}?status=cancelled`)).body.includes(linkId));
    assert.ok(!(await client.get(`${base}/${linkId}`)).body.includes('Cancel payment link'));
  });

  it('a form the domain refuses comes back with the message and the values; other platforms\' links and payments are not found; no CSRF → 403', async () => {
    const { platform, client } = await signedInOwner(ctx);
    await client.get(base);
    const refused = await client.post(base, { account_id: platform.id, currency: 'USDC', amount_type: 'fixed', amount: '1.000000', reference: 'has space' });
    assert.equal(refused.status, 400);
    assert.ok(refused.body.includes('reference must be 1 to 18'));
    assert.ok(refused.body.includes('value="has space"'));
    const usd = await client.post(base, { account_id: platform.id, currency: 'USD', amount_type: 'fixed', amount: '1.00', reference: 'X1' });
    assert.equal(usd.status, 400);
    const stranger = await signedInOwner(ctx);
    await stranger.client.get(base);
    const foreignAccount = await stranger.client.post(base, { account_id: platform.id, currency: 'USDC', amount_type: 'open', amount: '', reference: 'X2' });
    assert.equal(foreignAccount.status, 404, 'another platform\'s account cannot be paid to');

    await client.get(base);
    const mine = await client.post(base, { account_id: platform.id, currency: 'USDC', amount_type: 'open', amount: '', reference: 'OPEN-1' });
    assert.equal(mine.status, 303);
    const linkId = /pl_[0-9a-z]{26}/.exec(mine.location as string)?.[0] as string;
    assert.equal((await stranger.client.get(`${base}/${linkId}`)).status, 404);
    await stranger.client.get(base);
    assert.equal((await stranger.client.post(`${base}/${linkId}/cancel`, {})).status, 404);
    assert.equal((await client.get(`/dashboard/payments/links/production/${linkId}`)).status, 404, 'not in the other environment');
    assert.equal((await client.post(`${base}/${linkId}/cancel`, {}, { csrf: null })).status, 403);
    assert.ok((await client.get(`${base}/${linkId}`)).body.includes('Cancel payment link'), 'still active');
  });
});
