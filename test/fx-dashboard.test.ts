// Issue 11 in the dashboard: a conversion shows on the account page as its two fx_conversion transactions, each
// saying what was converted, at which rate, by which conversion.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createTestKey, startTestApp, type TestContext } from './support/context.ts';
import { signedInOwner } from './support/dashboard.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

it('the account page lists both sides of a conversion with its rate and id', async () => {
  const { platform, client } = await signedInOwner(ctx);
  const key = await createTestKey(ctx, platform.id, 'sandbox');
  const converted = await ctx.call('POST', '/api/v1/fx/conversions', {
    key: key.secret,
    body: { sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '100.00', conversion_type: 'rate', reference: 'dash-fx' },
  });
  assert.equal(converted.status, 201, converted.raw);
  const page = await client.get(`/dashboard/accounts/sandbox/${platform.id}`);
  assert.equal(page.status, 200);
  const line = `FX conversion AUD → USD at 0.64805 (${converted.body.id as string})`;
  assert.equal(page.body.split(line).length - 1, 2, 'both transactions of the conversion, each described');
  for (const text of ['-100.00 AUD', '64.80 USD', '99900.00', '100064.80', 'dash-fx']) assert.ok(page.body.includes(text), text);
});
