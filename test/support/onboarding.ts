// Onboarding fixtures: valid identity bodies (tests break one field at a time) and shortcuts to a verified account.
import type { Environment } from '../../src/lib/environments.ts';
import type { TestContext, TestPlatform } from './context.ts';

/** A valid KYC body: an adult Australian with a passport and a Sydney address. */
export function validKyc(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    first_name: 'Olivia',
    last_name: 'Nguyen',
    date_of_birth: '1990-04-12',
    nationality: 'AU',
    id_type: 'passport',
    id_number: 'PA1234567',
    address: { line1: '1 George Street', city: 'Sydney', state: 'NSW', postcode: '2000', country: 'AU' },
    ...overrides,
  };
}

/** A valid KYB body: an Australian company (the ATO's example ABN) with two beneficial owners. */
export function validKyb(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    legal_name: 'Harbour Widgets Pty Ltd',
    registration_number: '51 824 753 556',
    country_of_incorporation: 'AU',
    business_type: 'company',
    registered_address: { line1: '100 Collins Street', city: 'Melbourne', state: 'VIC', postcode: '3000', country: 'AU' },
    beneficial_owners: [
      { first_name: 'Ada', last_name: 'Lee', date_of_birth: '1980-01-31', nationality: 'AU', ownership_percentage: 60 },
      { first_name: 'Ben', last_name: 'Ong', date_of_birth: '1975-12-01', nationality: 'SG', ownership_percentage: 25.5 },
    ],
    beneficial_owners_complete: true,
    ...overrides,
  };
}

export async function submitTestKyc(ctx: TestContext, platform: TestPlatform, accountId: string, environment: Environment = 'sandbox'): Promise<void> {
  const result = await ctx.call('POST', `/api/v1/accounts/${accountId}/kyc`, { key: platform.keys[environment], body: validKyc() });
  if (result.status !== 200) throw new Error(`kyc failed: ${result.raw}`);
}

/** Submits KYC for an individual sandbox account and approves it with the sandbox helper. */
export async function approveTestAccount(ctx: TestContext, platform: TestPlatform, accountId: string): Promise<void> {
  await submitTestKyc(ctx, platform, accountId, 'sandbox');
  const decided = await ctx.call('POST', `/api/v1/sandbox/accounts/${accountId}/verification`, {
    key: platform.keys.sandbox,
    body: { status: 'approved' },
  });
  if (decided.status !== 200) throw new Error(`sandbox decision failed: ${decided.raw}`);
}

export async function activateTestCapability(ctx: TestContext, platform: TestPlatform, accountId: string, capability: string): Promise<void> {
  const result = await ctx.call('POST', `/api/v1/accounts/${accountId}/capabilities/${capability}`, { key: platform.keys.sandbox });
  if (result.status !== 200) throw new Error(`activate failed: ${result.raw}`);
}
