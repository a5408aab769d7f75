// Text PostgreSQL cannot store (NUL, lone surrogates) and broken URLs are clear 400s on every route, never 500s.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findUnstorableText } from '../src/http/input-hygiene.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';

let ctx: TestContext;
let platform: TestPlatform;
let account: string;

before(async () => {
  ctx = await startTestApp();
  platform = await createTestPlatform(ctx);
  account = await createTestConnectedAccount(ctx, platform);
});
after(() => ctx.close());

describe('unstorable text', () => {
  it('a NUL in a path id, a query value or any body field is 400 INVALID_REQUEST naming it', async () => {
    const key = platform.keys.sandbox;
    const cases: [string, string, unknown, string][] = [
      ['GET', '/api/v1/accounts/%00', undefined, 'id'],
      ['GET', '/api/v1/accounts/acct_%00/verification', undefined, 'id'],
      ['GET', '/api/v1/payouts/po_%00', undefined, 'id'],
      ['GET', '/api/v1/accounts?email=%00', undefined, 'email'],
      ['POST', '/api/v1/transfers', { destination_account_id: 'acct_\u0000', currency: 'AUD', amount: '1.00' }, 'destination_account_id'],
      ['POST', '/api/v1/sandbox/deposits', { account_id: account, currency: 'AUD', amount: '1.00', sender_name: 'a\u0000b' }, 'sender_name'],
      ['POST', '/api/v1/sandbox/deposits', { account_id: account, currency: 'AUD', amount: '1.00', sender_name: 'a\ud800' }, 'sender_name'],
      ['POST', '/api/v1/payouts', { currency: 'AUD', amount: '1.00', destination_type: 'bank_account', destination: { bsb: '062000', account_number: '1', account_name: 'x\u0000' } }, 'destination.account_name'],
    ];
    for (const [method, url, body, field] of cases) {
      const result = await ctx.call(method, url, { key, body });
      assert.equal(result.status, 400, `${method} ${url} → ${result.raw}`);
      assert.equal(result.body.error.code, 'INVALID_REQUEST');
      assert.equal(result.body.error.detail.field, field);
    }
    const admin = await ctx.admin('POST', '/admin/v1/platforms/acct_%00/capabilities/payouts', { environment: 'sandbox' });
    assert.equal(admin.status, 400);
  });

  it('every string is checked however deep it is nested, and a nesting of 100,000 levels does not exhaust the stack', () => {
    let nested: unknown = 'a\u0000b';
    for (let i = 0; i < 40; i++) nested = i % 2 ? [nested] : { x: nested };
    assert.equal(findUnstorableText({ ok: 'fine', deep: nested }), `deep.${'0.x.'.repeat(20).slice(0, -1)}`);
    let deeper: unknown = 'fine';
    for (let i = 0; i < 100_000; i++) deeper = { x: deeper };
    assert.equal(findUnstorableText(deeper), undefined);
    assert.equal(findUnstorableText({ a: 'ok', b: { 'k\u0000': 'v' }, c: '\u0000' }), 'b.(key)');
    assert.equal(findUnstorableText(['ok', ['\ud800']]), '1.0');
    assert.equal(findUnstorableText('\u0000'), 'body');
  });

  it('a URL with broken percent-encoding is a 400 in the API error shape', async () => {
    const result = await ctx.call('GET', '/api/v1/accounts/%E0%A4%A/verification', { key: platform.keys.sandbox });
    assert.equal(result.status, 400);
    assert.equal(result.body.error.code, 'INVALID_REQUEST');
    assert.match(result.body.error.request_id, /^req_/);
  });

  it('a value outside a fixed set says which values are allowed', async () => {
    const result = await ctx.call('POST', '/api/v1/accounts', { key: platform.keys.sandbox, body: { customer_type: 'robot', email: 'a@b.co', country: 'AU' } });
    assert.equal(result.status, 400);
    assert.deepEqual(result.body.error.detail.allowed_values, ['individual', 'business']);
    assert.match(result.body.error.message, /"individual", "business"/);
  });
});
