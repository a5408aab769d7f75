// The hosted payment page over HTTP: what a payer sees for AUD and USDT/USDC links, the status its script polls, the
// ended pages, the QR code as SVG, the strict CSP — and nothing in it but the link's own id.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestContext } from './support/context.ts';
import { createLink, createPayee, type Payee } from './support/payment-links.ts';

let ctx: TestContext;
let payee: Payee;
let clock = Date.now();

before(async () => {
  ctx = await startTestApp({}, { now: () => new Date(clock) });
  payee = await createPayee(ctx);
});
after(() => ctx.close());

const get = async (url: string) => {
  const response = await ctx.app.inject({ method: 'GET', url });
  return { status: response.statusCode, headers: response.headers, body: response.body };
};
const status = async (id: string) => JSON.parse((await get(`/pay/${id}/status`)).body) as { state: string; amount_received: string | null; redirect_url: string | null };
const simulate = (paymentId: string, body: Record<string, unknown>) => payee.call('POST', `/api/v1/sandbox/payments/${paymentId}/simulate`, body);

/** Every id PIK mints, and every secret-shaped string: the page may hold the link's id and nothing else of these. */
function assertNoInternals(html: string, linkId: string, secrets: string[] = []): void {
  const ids = [...html.matchAll(/\b(acct|key|usr|txn|tr|po|van|dep|pay|uf|we|wd|wa|evt|req|sess|pl)_[0-9a-z]{26}\b/g)].map((m) => m[0]);
  assert.deepEqual([...new Set(ids)], ids.length > 0 ? [linkId] : [], `ids in the page: ${ids.join(', ')}`);
  for (const pattern of [/sk_(test|live)_/, /whsec_/, /pikop_/, /Bearer/i]) assert.doesNotMatch(html, pattern);
  for (const secret of [...secrets, payee.platform.keys.sandbox, payee.platform.id, payee.account]) assert.ok(!html.includes(secret));
}

describe('GET /pay/{id}', () => {
  it('AUD: merchant, amount, BSB, account number and name, the reference to type, copy buttons, live status; strict CSP; no internals', async () => {
    const link = await createLink(payee, { amount: '149.95', merchant_name: 'Acme Plumbing <Pty>', webhook_url: 'https://hooks.example.com/a', redirect_url: 'https://acme.example.com/thanks' });
    const van = (await payee.call('GET', `/api/v1/accounts/${payee.account}/virtual-account`)).body;
    const page = await get(`/pay/${link.id}`);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    const csp = String(page.headers['content-security-policy']);
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "connect-src 'self'"]) assert.ok(csp.includes(directive), csp);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.ok(page.body.includes('Acme Plumbing &lt;Pty&gt;'), 'escaped');
    for (const text of ['149.95', 'AUD', van.bsb, van.account_number, van.account_name, link.reference, 'Sandbox']) assert.ok(page.body.includes(text), text);
    assert.ok((page.body.match(/data-copy=/g) ?? []).length >= 5);
    assert.match(page.body, /data-status-url="\/pay\/pl_[0-9a-z]{26}\/status\?since=/);
    assert.match(page.body, /<script src="\/pay\/assets\/pay\.js" defer><\/script>/);
    assert.doesNotMatch(page.body, /<script>|onclick=|style="/, 'no inline script or style');
    assertNoInternals(page.body, link.id, [link.webhook_secret]);
    assert.equal((await status(link.id)).state, 'awaiting_funds');
  });

  it('USDC: the Solana address, a QR code of a Solana Pay transfer request (amount, mint, reference), served as SVG', async () => {
    const link = await createLink(payee, { currency: 'USDC', amount: '25.500000', merchant_logo_url: 'https://cdn.example.com/logo.png' });
    const receiving = (await payee.call('GET', `/api/v1/accounts/${payee.account}/receiving-details`)).body;
    const address = receiving.crypto.find((c: { currency: string }) => c.currency === 'USDC').address;
    const page = await get(`/pay/${link.id}`);
    assert.equal(page.status, 200);
    assert.ok(String(page.headers['content-security-policy']).includes("img-src 'self' data: https://cdn.example.com;"), 'the logo\'s origin, exactly');
    for (const text of [address, '25.500000', 'USDC', link.reference, `/pay/${link.id}/qr.svg`, 'https://cdn.example.com/logo.png']) assert.ok(page.body.includes(text), text);
    const uri = /href="(solana:[^"]+)"/.exec(page.body)?.[1]?.replace(/&amp;/g, '&') as string;
    const parsed = new URL(uri);
    assert.equal(parsed.pathname, address);
    assert.equal(parsed.searchParams.get('amount'), '25.5');
    assert.equal(parsed.searchParams.get('spl-token'), 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v');
    assert.equal(parsed.searchParams.get('memo'), link.reference);
    assert.match(parsed.searchParams.get('reference') as string, /^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
    assertNoInternals(page.body, link.id);
    const qr = await get(`/pay/${link.id}/qr.svg`);
    assert.equal(qr.status, 200);
    assert.match(String(qr.headers['content-type']), /^image\/svg\+xml/);
    assert.equal(qr.headers['cross-origin-resource-policy'], 'cross-origin', 'platforms may embed qr_code_url');
    assert.match(qr.body, /^<svg[\s\S]*<\/svg>\s*$/);
    assert.doesNotMatch(qr.body, /<script/i);
    const audQr = await get(`/pay/${(await createLink(payee)).id}/qr.svg`);
    assert.equal(audQr.status, 200);
  });

  it('the status a page polls follows the payment: underpaid with what arrived, then paid with the redirect_url; the paid page', async () => {
    const link = await createLink(payee, { amount: '10.00', single_use: true, redirect_url: 'https://acme.example.com/thanks?o=1' });
    await simulate(link.open_payment_id, { status: 'underpaid', amount_received: '4.00' });
    assert.deepEqual(await status(link.id), { state: 'underpaid', currency: 'AUD', amount_received: '4.00', redirect_url: null });
    assert.ok((await get(`/pay/${link.id}`)).body.includes('Received 4.00 AUD of 10.00 AUD'));
    await simulate(link.open_payment_id, { status: 'settled' });
    assert.deepEqual(await status(link.id), { state: 'paid', currency: 'AUD', amount_received: null, redirect_url: 'https://acme.example.com/thanks?o=1' });
    const paid = await get(`/pay/${link.id}`);
    assert.ok(paid.body.includes('Payment received'));
    assert.ok(paid.body.includes('data-redirect="https://acme.example.com/thanks?o=1"'));
    const van = (await payee.call('GET', `/api/v1/accounts/${payee.account}/virtual-account`)).body;
    assert.ok(!paid.body.includes(van.account_number), 'nothing to pay to on an ended page');
    assertNoInternals(paid.body, link.id);
  });

  it('a reusable link: the payer watching the page sees theirs paid (settled since the page was shown), the next payer a fresh page', async () => {
    const link = await createLink(payee, { amount: '3.00' });
    const page = await get(`/pay/${link.id}`);
    const statusUrl = (/data-status-url="([^"]+)"/.exec(page.body)?.[1] as string).replace(/&amp;/g, '&');
    clock += 1000;
    await simulate(link.open_payment_id, { status: 'settled' });
    assert.equal(JSON.parse((await get(statusUrl)).body).state, 'paid');
    assert.equal((await status(link.id)).state, 'awaiting_funds');
    assert.equal((await get(`/pay/${link.id}`)).status, 200);
  });

  it('expired and cancelled pages say so and show no payment details; unknown or malformed ids are a 404 page', async () => {
    const expiring = await createLink(payee, { expiry: '1h' });
    clock += 3_600_001;
    assert.equal((await status(expiring.id)).state, 'expired', 'past its expiry before the expirer gets there');
    const expired = await get(`/pay/${expiring.id}`);
    assert.ok(expired.body.includes('This payment link has expired'));
    const cancelled = await createLink(payee);
    await payee.call('DELETE', `/api/v1/payment-links/${cancelled.id}`);
    const page = await get(`/pay/${cancelled.id}`);
    assert.equal(page.status, 200);
    assert.ok(page.body.includes('This payment link was cancelled'));
    assert.ok(!page.body.includes('data-copy'));
    assert.equal((await status(cancelled.id)).state, 'cancelled');
    for (const id of ['pl_01m8g5hycd5qba505sf93e83c5', 'nothing', '__proto__', 'acct_01m8g5hycd5qba505sf93e83c5']) {
      const missing = await get(`/pay/${id}`);
      assert.equal(missing.status, 404);
      assert.ok(missing.body.includes('Payment link not found'));
      assert.equal((await get(`/pay/${id}/status`)).status, 404);
      assert.equal((await get(`/pay/${id}/qr.svg`)).status, 404);
    }
    assert.equal((await get('/pay/assets/nothing.js')).status, 404);
    const script = await get('/pay/assets/pay.js');
    assert.match(String(script.headers['content-type']), /javascript/);
  });
});
