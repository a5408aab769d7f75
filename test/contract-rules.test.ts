// Rules the documents state and the server enforces the same way: lengths in code points (an emoji is one character
// in the schema and in the domain), the operator's fail route naming the field it takes, every error's doc_url
// leading to its entry, and the reference page served whole from this server.
// pik-test: engine-independent — text rules and pages; the rows written are incidental
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { errorCodes } from '../src/lib/errors.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { approveAccount, bankDestination } from './support/ledger.ts';
import { validKyc } from './support/onboarding.ts';

let ctx: TestContext;
let platform: TestPlatform;
before(async () => {
  ctx = await startTestApp();
  platform = await createTestPlatform(ctx);
});
after(() => ctx.close());

const emoji = '😀'; // one code point, two UTF-16 units

describe('lengths count code points, in the document and the server alike', () => {
  it('display_name: 200 emoji are accepted, 201 are refused naming the field', async () => {
    const doc = (await ctx.call('GET', '/api/v1/openapi.json')).body;
    const limit = doc.paths['/api/v1/accounts'].post.requestBody.content['application/json'].schema.properties.display_name.maxLength;
    assert.equal(limit, 200);
    const body = (name: string) => ({ customer_type: 'individual', email: 'emoji@example.com', country: 'AU', display_name: name });
    const accepted = await ctx.call('POST', '/api/v1/accounts', { key: platform.keys.sandbox, body: body(emoji.repeat(limit)) });
    assert.equal(accepted.status, 201, accepted.raw);
    assert.equal(accepted.body.display_name, emoji.repeat(limit));
    const refused = await ctx.call('POST', '/api/v1/accounts', { key: platform.keys.sandbox, body: body(emoji.repeat(limit + 1)) });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.detail.field, 'display_name');
  });

  it('KYC names: 100 emoji-bearing characters are accepted where the schema says 100', async () => {
    const account = await createTestConnectedAccount(ctx, platform);
    const name = `Zoë${emoji.repeat(97)}`; // letters needed; 100 code points, 197 UTF-16 units
    const result = await ctx.call('POST', `/api/v1/accounts/${account}/kyc`, { key: platform.keys.sandbox, body: validKyc({ first_name: name }) });
    assert.equal(result.status, 200, result.raw);
  });
});

describe('POST /admin/v1/payouts/{id}/fail', () => {
  it('names the field it takes (reason) when the reason is blank', async () => {
    const account = await createTestConnectedAccount(ctx, platform, 'production');
    await approveAccount(ctx, 'production', account);
    const deposit = await ctx.admin('POST', '/admin/v1/deposits', { environment: 'production', account_id: account, currency: 'AUD', amount: '50.00', reference: 'fund-fail' });
    assert.equal(deposit.status, 201, deposit.raw);
    const payout = await ctx.call('POST', '/api/v1/payouts', {
      key: platform.keys.production,
      onBehalfOf: account,
      body: { currency: 'AUD', amount: '5.00', destination_type: 'bank_account', destination: bankDestination },
    });
    assert.equal(payout.status, 201, payout.raw);
    const blank = await ctx.admin('POST', `/admin/v1/payouts/${payout.body.id}/fail`, { environment: 'production', reason: '   ' });
    assert.equal(blank.status, 400, blank.raw);
    assert.equal(blank.body.error.detail.field, 'reason');
    assert.match(blank.body.error.message, /^reason /);
  });
});

describe('the reference', () => {
  it("every error's doc_url is a page of this server with that code's entry", async () => {
    const refused = await ctx.call('GET', '/api/v1/account');
    assert.equal(refused.body.error.doc_url, '/docs/errors#api_key_missing');
    const page = await ctx.call('GET', refused.body.error.doc_url.split('#')[0]);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    for (const code of errorCodes) assert.ok(page.raw.includes(`id="${code.toLowerCase()}"`), code);
  });

  it('/docs is a readable reference served whole from here: its script, the document, a CSP that allows only this server', async () => {
    const page = await ctx.call('GET', '/docs/');
    assert.equal(page.status, 200);
    assert.match(page.raw, /<html/i);
    // Nothing loaded from elsewhere (no CDN, no web fonts): every src and href is relative to this server.
    for (const match of page.raw.matchAll(/(?:src|href)="([^"]+)"/g)) assert.doesNotMatch(match[1] ?? '', /^(https?:)?\/\//, match[0]);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp.split(';').find((d) => d.trim().startsWith('script-src')) ?? '', /unsafe-inline/);
    // The page's one inline script runs because the CSP names its hash.
    const inline = [...page.raw.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
    assert.equal(inline.length, 1);
    assert.ok(csp.includes(`'sha256-${createHash('sha256').update(inline[0] ?? '').digest('base64')}'`), csp);
    const script = await ctx.call('GET', '/docs/js/scalar.js');
    assert.equal(script.status, 200);
    assert.ok(script.raw.length > 100_000);
    const document = await ctx.call('GET', '/docs/openapi.json');
    assert.equal(document.status, 200);
    assert.equal(document.body.info.title, 'PIK platform API');
  });
});
