// Property: over random sequences of API calls, sandbox decisions and operator decisions, no capability is ever active on
// an account that is not approved, every capability use gets exactly the predicted answer, and reads reflect changes at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import type { Environment } from '../src/lib/environments.ts';
import { requireCapability } from '../src/domain/accounts/capability-gate.ts';
import { ApiError } from '../src/lib/errors.ts';
import type { VerificationStatus } from '../src/db/schema.ts';
import { capabilities, type Capability } from '../src/lib/capabilities.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { validKyb, validKyc } from './support/onboarding.ts';

let ctx: TestContext;
let platform: TestPlatform;

before(async () => {
  ctx = await startTestApp();
  platform = await createTestPlatform(ctx);
});
after(() => ctx.close());

type Decision = 'approved' | 'rejected' | 'action_required';
type CapabilityName = Capability | 'bogus';

interface ModelAccount {
  id: string;
  environment: Environment;
  kind: 'kyc' | 'kyb' | 'platform';
  status: VerificationStatus;
  active: Set<Capability>;
}

type Command =
  | { op: 'submit'; who: number }
  | { op: 'sandboxDecide'; who: number; status: Decision }
  | { op: 'operatorDecide'; who: number; status: Decision }
  | { op: 'activate' | 'deactivate'; who: number; capability: CapabilityName }
  | { op: 'platformCapability'; environment: Environment; capability: Capability; enable: boolean }
  | { op: 'receivingDetails'; who: number; viaHeader: boolean }
  | { op: 'gate'; who: number; capability: Capability };

// Accounts 0–2 are connected (sandbox individual, sandbox business, production individual); 3 and 4 are the platform in each environment.
const who = fc.integer({ min: 0, max: 4 });
const connected = fc.integer({ min: 0, max: 2 });
// Approvals are drawn more often so that sequences reach the interesting states (active capabilities, withdrawal).
const decision = fc.constantFrom<Decision>('approved', 'approved', 'rejected', 'action_required');
const capability = fc.constantFrom<Capability>(...capabilities);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: connected.map((w) => ({ op: 'submit' as const, who: w })) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('sandboxDecide' as const), who: connected, status: decision }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('operatorDecide' as const), who: connected, status: decision }) },
  {
    weight: 7,
    arbitrary: fc.record({
      op: fc.constantFrom('activate' as const, 'deactivate' as const),
      who: fc.oneof({ weight: 5, arbitrary: connected }, { weight: 1, arbitrary: who }),
      // inbound_payments is what receiving-details needs: drawn more often so uses succeed as well as fail
      capability: fc.oneof(
        { weight: 4, arbitrary: fc.constant<CapabilityName>('inbound_payments') },
        { weight: 3, arbitrary: fc.constantFrom<CapabilityName>('fx_conversion', 'payouts') },
        { weight: 1, arbitrary: fc.constant<CapabilityName>('bogus') },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('platformCapability' as const), environment: fc.constantFrom<Environment>('sandbox', 'production'), capability, enable: fc.boolean() }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('receivingDetails' as const), who, viaHeader: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('gate' as const), who, capability }) },
);

const start = fc.constantFrom('unverified' as const, 'pending' as const, 'approved' as const, 'active' as const);

type Expected = { status: 200 } | { status: number; code: string };
const ok: Expected = { status: 200 };
const fail = (status: number, code: string): Expected => ({ status, code });

function canDecide(current: VerificationStatus, next: Decision): boolean {
  return current === 'pending' || (current === 'approved' && next !== 'approved');
}

function gateOutcome(account: ModelAccount, wanted: Capability): Expected {
  if (account.status !== 'approved') return fail(403, 'ACCOUNT_NOT_VERIFIED');
  if (!account.active.has(wanted)) return fail(403, 'CAPABILITY_NOT_ACTIVATED');
  return ok;
}

/** The model: what the API must answer, and the state it must be in afterwards. */
function predict(accounts: ModelAccount[], c: Command): { expected: Expected; apply: () => void } {
  const none = () => undefined;
  if (c.op === 'platformCapability') {
    const account = accounts[c.environment === 'sandbox' ? 3 : 4] as ModelAccount;
    const isActive = account.active.has(c.capability);
    if (c.enable === isActive) return { expected: fail(409, c.enable ? 'CAPABILITY_ALREADY_ACTIVE' : 'CAPABILITY_NOT_ACTIVE'), apply: none };
    return { expected: ok, apply: () => void (c.enable ? account.active.add(c.capability) : account.active.delete(c.capability)) };
  }
  const account = accounts[c.who] as ModelAccount;
  switch (c.op) {
    case 'submit':
      if (account.status === 'rejected') return { expected: fail(409, 'VERIFICATION_REJECTED'), apply: none };
      if (account.status === 'pending' || account.status === 'approved') return { expected: fail(409, 'VERIFICATION_ALREADY_SUBMITTED'), apply: none };
      return { expected: ok, apply: () => void (account.status = 'pending') };
    case 'sandboxDecide':
    case 'operatorDecide': {
      if (c.op === 'sandboxDecide' && account.environment === 'production') return { expected: fail(403, 'SANDBOX_ONLY'), apply: none };
      if (!canDecide(account.status, c.status)) return { expected: fail(409, 'VERIFICATION_NOT_PENDING'), apply: none };
      return {
        expected: ok,
        apply: () => {
          account.status = c.status;
          if (c.status !== 'approved') account.active.clear();
        },
      };
    }
    case 'activate':
    case 'deactivate': {
      if (c.capability === 'bogus') return { expected: fail(400, 'UNKNOWN_CAPABILITY'), apply: none };
      if (account.kind === 'platform') return { expected: fail(403, 'PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR'), apply: none };
      const name = c.capability;
      if (c.op === 'activate') {
        if (account.status !== 'approved') return { expected: fail(403, 'ACCOUNT_NOT_VERIFIED'), apply: none };
        if (account.active.has(name)) return { expected: fail(409, 'CAPABILITY_ALREADY_ACTIVE'), apply: none };
        return { expected: ok, apply: () => void account.active.add(name) };
      }
      if (!account.active.has(name)) return { expected: fail(409, 'CAPABILITY_NOT_ACTIVE'), apply: none };
      return { expected: ok, apply: () => void account.active.delete(name) };
    }
    case 'receivingDetails':
      return { expected: gateOutcome(account, 'inbound_payments'), apply: none };
    case 'gate':
      return { expected: gateOutcome(account, c.capability), apply: none };
  }
}

async function execute(accounts: ModelAccount[], c: Command): Promise<{ status: number; code?: string }> {
  const asResult = (r: { status: number; body: { error?: { code: string } } }) => ({ status: r.status, code: r.body?.error?.code });
  if (c.op === 'platformCapability') {
    const url = `/admin/v1/platforms/${platform.id}/capabilities/${c.capability}`;
    return asResult(c.enable ? await ctx.admin('POST', url, { environment: c.environment }) : await ctx.admin('DELETE', `${url}?environment=${c.environment}`));
  }
  const account = accounts[c.who] as ModelAccount;
  const key = platform.keys[account.environment];
  switch (c.op) {
    case 'submit':
      return asResult(await ctx.call('POST', `/api/v1/accounts/${account.id}/${account.kind}`, { key, body: account.kind === 'kyb' ? validKyb() : validKyc() }));
    case 'sandboxDecide':
      return asResult(await ctx.call('POST', `/api/v1/sandbox/accounts/${account.id}/verification`, { key, body: { status: c.status, reason: 'property test' } }));
    case 'operatorDecide':
      return asResult(await ctx.admin('POST', `/admin/v1/verifications/${account.id}/decision`, { environment: account.environment, status: c.status }));
    case 'activate':
    case 'deactivate':
      return asResult(await ctx.call(c.op === 'activate' ? 'POST' : 'DELETE', `/api/v1/accounts/${account.id}/capabilities/${c.capability}`, { key }));
    case 'receivingDetails':
      return asResult(
        await ctx.call('GET', `/api/v1/accounts/${account.id}/receiving-details`, { key, onBehalfOf: c.viaHeader ? account.id : undefined }),
      );
    case 'gate':
      try {
        await requireCapability(ctx.services.db.env(account.environment), { accountId: account.id }, c.capability);
        return { status: 200 };
      } catch (error) {
        if (error instanceof ApiError) return { status: error.status, code: error.code };
        throw error;
      }
  }
}

async function platformCapabilities(environment: Environment): Promise<Set<Capability>> {
  const read = await ctx.call('GET', '/api/v1/account', { key: platform.keys[environment] });
  return new Set(capabilities.filter((c) => read.body.capabilities[c] === 'active'));
}

async function assertMatchesModel(accounts: ModelAccount[]): Promise<void> {
  for (const environment of ['sandbox', 'production'] as const) {
    const offending = await sql<{ id: string }>`
      select id from ${sql.id(environment)}.accounts where verification_status <> 'approved' and cardinality(capabilities) > 0
    `.execute(ctx.services.db.core);
    assert.deepEqual(offending.rows, [], 'no capability is active on an account that is not approved');
  }
  for (const account of accounts) {
    const read = await ctx.call('GET', '/api/v1/account', {
      key: platform.keys[account.environment],
      onBehalfOf: account.kind === 'platform' ? undefined : account.id,
    });
    assert.equal(read.body.verification_status, account.status, `${account.kind} ${account.environment} status`);
    const active = capabilities.filter((c) => read.body.capabilities[c] === 'active');
    assert.deepEqual(active, capabilities.filter((c) => account.active.has(c)), `${account.kind} ${account.environment} capabilities`);
  }
}

const seen = new Set<string>();

describe('onboarding under random sequences of calls and decisions', () => {
  it('the API agrees with the model at every step, and capabilities never outlive approval', async () => {
    await fc.assert(
      fc.asyncProperty(fc.tuple(start, start, start), fc.array(command, { minLength: 10, maxLength: 40, size: 'max' }), async (starts, commands) => {
        const accounts: ModelAccount[] = [
          { id: await createTestConnectedAccount(ctx, platform, 'sandbox', { customer_type: 'individual' }), environment: 'sandbox', kind: 'kyc', status: 'unverified', active: new Set() },
          { id: await createTestConnectedAccount(ctx, platform, 'sandbox', { customer_type: 'business' }), environment: 'sandbox', kind: 'kyb', status: 'unverified', active: new Set() },
          { id: await createTestConnectedAccount(ctx, platform, 'production', { customer_type: 'individual' }), environment: 'production', kind: 'kyc', status: 'unverified', active: new Set() },
          { id: platform.id, environment: 'sandbox', kind: 'platform', status: 'approved', active: await platformCapabilities('sandbox') },
          { id: platform.id, environment: 'production', kind: 'platform', status: 'approved', active: await platformCapabilities('production') },
        ];
        // Each connected account starts somewhere along the happy path, reached through the API like any other step.
        const setup = starts.flatMap((s, i): Command[] => {
          const decide: Command = i === 2 ? { op: 'operatorDecide', who: i, status: 'approved' } : { op: 'sandboxDecide', who: i, status: 'approved' };
          const steps: Command[] = [{ op: 'submit', who: i }, decide, { op: 'activate', who: i, capability: 'inbound_payments' }];
          return steps.slice(0, { unverified: 0, pending: 1, approved: 2, active: 3 }[s]);
        });
        commands = [...setup, ...commands];
        for (const [step, c] of commands.entries()) {
          const { expected, apply } = predict(accounts, c);
          const actual = await execute(accounts, c);
          const label = `step ${step}: ${JSON.stringify(c)}`;
          assert.equal(actual.status, expected.status, `${label} → ${JSON.stringify(actual)}`);
          if ('code' in expected) assert.equal(actual.code, expected.code, label);
          const account = c.op === 'platformCapability' ? undefined : accounts[c.who];
          const withdrawsCapabilities = (c.op === 'sandboxDecide' || c.op === 'operatorDecide') && expected.status === 200 && c.status !== 'approved' && (account?.active.size ?? 0) > 0;
          seen.add('code' in expected ? expected.code : `${c.op}:200`);
          if (withdrawsCapabilities) seen.add('withdrawal with active capabilities');
          apply();
          await assertMatchesModel(accounts);
        }
      }),
      { numRuns: 40 },
    );
    // The property is only as good as the states it reached: fail loudly if the generator stopped covering them.
    for (const outcome of [
      'withdrawal with active capabilities',
      'receivingDetails:200',
      'gate:200',
      'activate:200',
      'deactivate:200',
      'operatorDecide:200',
      'sandboxDecide:200',
      'ACCOUNT_NOT_VERIFIED',
      'CAPABILITY_NOT_ACTIVATED',
      'CAPABILITY_ALREADY_ACTIVE',
      'CAPABILITY_NOT_ACTIVE',
      'VERIFICATION_NOT_PENDING',
      'VERIFICATION_ALREADY_SUBMITTED',
      'VERIFICATION_REJECTED',
      'SANDBOX_ONLY',
      'UNKNOWN_CAPABILITY',
      'PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR',
    ]) {
      assert.ok(seen.has(outcome), `the random sequences never produced ${outcome}`);
    }
  });
});
