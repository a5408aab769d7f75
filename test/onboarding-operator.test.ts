// Spec §4 and §8: production decisions come from the operator (API and CLI); production and sandbox never mix.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { submitTestKyc, validKyb, validKyc } from './support/onboarding.ts';
import { pikCliArgs } from './support/cli.ts';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let ctx: TestContext;
let platform: TestPlatform;

before(async () => {
  ctx = await startTestApp();
  platform = await createTestPlatform(ctx);
});
after(() => ctx.close());

const queue = async (environment: string, query = ''): Promise<string[]> => {
  const result = await ctx.admin('GET', `/admin/v1/verifications?environment=${environment}${query}`);
  assert.equal(result.status, 200, result.raw);
  return result.body.data.map((item: { account_id: string }) => item.account_id);
};
const operatorDecide = (account: string, body: Record<string, unknown>) => ctx.admin('POST', `/admin/v1/verifications/${account}/decision`, body);

function expectError(result: { status: number; body: any }, status: number, code: string): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(result.status, status, JSON.stringify(result.body));
  assert.equal(result.body.error.code, code);
}

describe('production review by the operator', () => {
  it('a production key cannot decide (403 SANDBOX_ONLY); the operator approves from the production queue', async () => {
    const account = await createTestConnectedAccount(ctx, platform, 'production');
    await submitTestKyc(ctx, platform, account, 'production');
    const self = await ctx.call('POST', `/api/v1/sandbox/accounts/${account}/verification`, { key: platform.keys.production, body: { status: 'approved' } });
    expectError(self, 403, 'SANDBOX_ONLY');
    assert.ok((await queue('production')).includes(account));

    const item = (await ctx.admin('GET', '/admin/v1/verifications?environment=production')).body.data.find(
      (i: { account_id: string }) => i.account_id === account,
    );
    assert.deepEqual(
      { platform_id: item.platform_id, kind: item.kind, name: item.name, environment: item.environment, status: item.verification_status },
      { platform_id: platform.id, kind: 'kyc', name: 'Olivia Nguyen', environment: 'production', status: 'pending' },
    );
    const detail = await ctx.admin('GET', `/admin/v1/verifications/${account}?environment=production`);
    assert.equal(detail.status, 200);
    assert.equal(detail.body.identity.id_number_masked, '•••••4567');
    assert.ok(!detail.raw.includes('PA1234567'), 'the operator sees the id number masked too');

    const decided = await operatorDecide(account, { environment: 'production', status: 'approved', reason: 'Checked against DVS.' });
    assert.equal(decided.status, 200, decided.raw);
    assert.equal(decided.body.decided_by, 'operator');
    assert.ok(!(await queue('production')).includes(account), 'decided accounts leave the pending queue');
    assert.ok((await queue('production', '&status=approved')).includes(account));
    const seen = await ctx.call('GET', `/api/v1/accounts/${account}/verification`, { key: platform.keys.production, onBehalfOf: account });
    assert.equal(seen.body.status, 'approved');
    assert.equal(seen.body.reason, 'Checked against DVS.');
    const activated = await ctx.call('POST', `/api/v1/accounts/${account}/capabilities/payouts`, { key: platform.keys.production });
    assert.equal(activated.status, 200);
  });

  it('409 VERIFICATION_NOT_PENDING and 404 ACCOUNT_NOT_FOUND from the operator API; 400 naming the field', async () => {
    const unverified = await createTestConnectedAccount(ctx, platform, 'production');
    expectError(await operatorDecide(unverified, { environment: 'production', status: 'approved' }), 409, 'VERIFICATION_NOT_PENDING');
    expectError(await operatorDecide('acct_01m8g4v2amhzvvtznqxqww9kqs', { environment: 'production', status: 'approved' }), 404, 'ACCOUNT_NOT_FOUND');
    expectError(await operatorDecide(platform.id, { environment: 'production', status: 'rejected' }), 404, 'ACCOUNT_NOT_FOUND');
    const sandboxAccount = await createTestConnectedAccount(ctx, platform, 'sandbox');
    await submitTestKyc(ctx, platform, sandboxAccount, 'sandbox');
    expectError(await operatorDecide(sandboxAccount, { environment: 'production', status: 'approved' }), 404, 'ACCOUNT_NOT_FOUND');
    expectError(await ctx.admin('GET', `/admin/v1/verifications/${sandboxAccount}?environment=production`), 404, 'ACCOUNT_NOT_FOUND');
    const noEnv = await operatorDecide(unverified, { status: 'approved' });
    expectError(noEnv, 400, 'INVALID_REQUEST');
    assert.equal(noEnv.body.error.detail.field, 'environment');
    const badStatus = await operatorDecide(unverified, { environment: 'production', status: 'fine' });
    assert.equal(badStatus.body.error.detail.field, 'status');
    expectError(await ctx.admin('GET', '/admin/v1/verifications?environment=production&cursor=garbage'), 400, 'INVALID_CURSOR');
    expectError(await ctx.call('GET', '/admin/v1/verifications?environment=production', { key: platform.keys.production }), 401, 'OPERATOR_TOKEN_INVALID');
  });

  it('the queue pages oldest first with an opaque cursor', async () => {
    const other = await createTestPlatform(ctx);
    const accounts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const account = await createTestConnectedAccount(ctx, other, 'production', { customer_type: 'business' });
      const result = await ctx.call('POST', `/api/v1/accounts/${account}/kyb`, { key: other.keys.production, body: validKyb() });
      assert.equal(result.status, 200, result.raw);
      accounts.push(account);
    }
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { data: { account_id: string; name: string }[]; next_cursor: string | null } } = await ctx.admin(
        'GET',
        `/admin/v1/verifications?environment=production&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(page.status, 200);
      all.push(...page.body.data.map((i) => i.account_id));
      cursor = page.body.next_cursor;
    } while (cursor);
    assert.equal(new Set(all).size, all.length, 'no account twice');
    assert.deepEqual(all.filter((a) => accounts.includes(a)), accounts, 'in submission order');
  });
});

describe('production and sandbox stay apart', () => {
  it("the production queue never lists sandbox accounts, and the sandbox queue never lists production ones", async () => {
    const sandboxAccount = await createTestConnectedAccount(ctx, platform, 'sandbox');
    const productionAccount = await createTestConnectedAccount(ctx, platform, 'production');
    await submitTestKyc(ctx, platform, sandboxAccount, 'sandbox');
    await submitTestKyc(ctx, platform, productionAccount, 'production');
    const production = await queue('production');
    const sandbox = await queue('sandbox');
    assert.ok(production.includes(productionAccount));
    assert.ok(!production.includes(sandboxAccount));
    assert.ok(sandbox.includes(sandboxAccount));
    assert.ok(!sandbox.includes(productionAccount));
    for (const status of ['approved', 'rejected', 'action_required']) {
      assert.ok(!(await queue('production', `&status=${status}`)).some((id) => id === sandboxAccount));
    }
  });

  it("a production key never sees a sandbox account's verification or capabilities, and cannot submit for it", async () => {
    const sandboxAccount = await createTestConnectedAccount(ctx, platform, 'sandbox');
    await submitTestKyc(ctx, platform, sandboxAccount, 'sandbox');
    const k = platform.keys.production;
    for (const url of [`/api/v1/accounts/${sandboxAccount}/verification`, `/api/v1/accounts/${sandboxAccount}/capabilities`]) {
      expectError(await ctx.call('GET', url, { key: k }), 404, 'ACCOUNT_NOT_FOUND');
      expectError(await ctx.call('GET', url, { key: k, onBehalfOf: sandboxAccount }), 404, 'ACCOUNT_NOT_FOUND');
    }
    expectError(await ctx.call('POST', `/api/v1/accounts/${sandboxAccount}/kyc`, { key: k, body: {} }), 400, 'INVALID_REQUEST');
    const submit = await ctx.call('POST', `/api/v1/accounts/${sandboxAccount}/kyc`, {
      key: k,
      body: validKyc(),
    });
    expectError(submit, 404, 'ACCOUNT_NOT_FOUND');
  });

  it('a sandbox approval does not touch production: the same platform has separate verification worlds', async () => {
    const productionAccount = await createTestConnectedAccount(ctx, platform, 'production');
    await submitTestKyc(ctx, platform, productionAccount, 'production');
    expectError(
      await ctx.call('POST', `/api/v1/sandbox/accounts/${productionAccount}/verification`, { key: platform.keys.sandbox, body: { status: 'approved' } }),
      404,
      'ACCOUNT_NOT_FOUND',
    );
    const seen = await ctx.call('GET', `/api/v1/accounts/${productionAccount}/verification`, { key: platform.keys.production });
    assert.equal(seen.body.status, 'pending');
  });
});

describe('the pik CLI', () => {
  let baseUrl: string;
  before(async () => {
    baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  });

  const pik = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, pikCliArgs(args), {
        cwd: root,
        env: { ...process.env, PIK_URL: baseUrl, PIK_OPERATOR_TOKEN: ctx.operatorToken },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('verifications list/decide and capabilities enable/disable, with --json', async () => {
    const account = await createTestConnectedAccount(ctx, platform, 'production');
    await submitTestKyc(ctx, platform, account, 'production');
    const sandboxAccount = await createTestConnectedAccount(ctx, platform, 'sandbox');
    await submitTestKyc(ctx, platform, sandboxAccount, 'sandbox');

    const listed = await pik('verifications', 'list', '--environment', 'production', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    const ids = (JSON.parse(listed.stdout) as { account_id: string }[]).map((i) => i.account_id);
    assert.ok(ids.includes(account));
    assert.ok(!ids.includes(sandboxAccount), 'the production queue never lists sandbox accounts');
    const table = await pik('verifications', 'list', '--environment', 'production');
    assert.match(table.stdout, new RegExp(account));

    const decided = await pik('verifications', 'decide', account, '--environment', 'production', '--status', 'action_required', '--reason', 'Blurry scan', '--json');
    assert.equal(decided.code, 0, decided.stderr);
    assert.equal(JSON.parse(decided.stdout).status, 'action_required');
    assert.equal(JSON.parse(decided.stdout).reason, 'Blurry scan');

    const again = await pik('verifications', 'decide', account, '--environment', 'production', '--status', 'approved');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /VERIFICATION_NOT_PENDING/);
    const badStatus = await pik('verifications', 'decide', account, '--environment', 'production', '--status', 'ok');
    assert.equal(badStatus.code, 1);

    const enabled = await pik('capabilities', 'enable', '--platform', platform.id, '--environment', 'production', '--capability', 'fx_conversion', '--json');
    assert.equal(enabled.code, 0, enabled.stderr);
    assert.equal(JSON.parse(enabled.stdout).data.find((c: { name: string }) => c.name === 'fx_conversion').status, 'active');
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: platform.keys.production })).body.capabilities.fx_conversion, 'active');
    const disabled = await pik('capabilities', 'disable', '--platform', platform.id, '--environment', 'production', '--capability', 'fx_conversion');
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.match(disabled.stdout, /fx_conversion disabled/);
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: platform.keys.production })).body.capabilities.fx_conversion, 'inactive');
  });
});
