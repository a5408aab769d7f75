// Spec §5 KYC/KYB: compliance-grade validation (every 400 names its field), account-type rules, masking, no identity in logs.
// pik-test: engine-independent — validation rules for identity documents, answered before anything is written; the writes themselves run on PostgreSQL in onboarding-verification and identity-at-rest
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { validKyb, validKyc } from './support/onboarding.ts';

let ctx: TestContext;
let platform: TestPlatform;

before(async () => {
  ctx = await startTestApp();
  platform = await createTestPlatform(ctx);
});
after(() => ctx.close());

const individual = () => createTestConnectedAccount(ctx, platform, 'sandbox', { customer_type: 'individual' });
const business = () => createTestConnectedAccount(ctx, platform, 'sandbox', { customer_type: 'business' });
const kyc = (account: string, body: unknown) => ctx.call('POST', `/api/v1/accounts/${account}/kyc`, { key: platform.keys.sandbox, body });
const kyb = (account: string, body: unknown) => ctx.call('POST', `/api/v1/accounts/${account}/kyb`, { key: platform.keys.sandbox, body });
const withAddress = (changes: Record<string, unknown>) => ({
  address: { line1: '1 George Street', city: 'Sydney', state: 'NSW', postcode: '2000', country: 'AU', ...changes },
});
const yearsAgo = (years: number, days = 0): string => {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - years);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};

function expect400(result: { status: number; body: any }, field: string): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(result.status, 400, JSON.stringify(result.body));
  assert.equal(result.body.error.code, 'INVALID_REQUEST');
  assert.equal(result.body.error.detail.field, field);
}

describe('POST /accounts/{id}/kyc — 400 with detail.field', () => {
  let account: string;
  before(async () => {
    account = await individual();
  });

  const cases: [string, Record<string, unknown>, string][] = [
    ['missing first_name', { first_name: undefined }, 'first_name'],
    ['blank last_name', { last_name: '   ' }, 'last_name'],
    ['a name without letters', { first_name: '1234' }, 'first_name'],
    ['a name with markup', { last_name: '<script>' }, 'last_name'],
    ['a name with a NUL character', { first_name: 'Ol\u0000ivia' }, 'first_name'],
    ['a name with a lone surrogate', { first_name: 'Olivia\ud800' }, 'first_name'],
    ['an address line with a lone surrogate', withAddress({ line2: '\udc00 Unit 4' }), 'address.line2'],
    ['date_of_birth not YYYY-MM-DD', { date_of_birth: '12/04/1990' }, 'date_of_birth'],
    ['date_of_birth that does not exist', { date_of_birth: '1990-02-30' }, 'date_of_birth'],
    ['29 February of a non-leap year', { date_of_birth: '2001-02-29' }, 'date_of_birth'],
    ['date_of_birth in the future', { date_of_birth: yearsAgo(-1) }, 'date_of_birth'],
    ['a minor (one day short of 18)', { date_of_birth: yearsAgo(18, 1) }, 'date_of_birth'],
    ['an implausible age', { date_of_birth: '1850-01-01' }, 'date_of_birth'],
    ['date_of_birth as a number', { date_of_birth: 19900412 }, 'date_of_birth'],
    ['nationality not ISO alpha-2', { nationality: 'XX' }, 'nationality'],
    ['nationality in lower case', { nationality: 'au' }, 'nationality'],
    ['nationality alpha-3', { nationality: 'AUS' }, 'nationality'],
    ['unknown id_type', { id_type: 'library_card' }, 'id_type'],
    ['id_number with symbols', { id_number: 'PA#123456' }, 'id_number'],
    ['passport number too short', { id_number: 'P12' }, 'id_number'],
    ['missing address', { address: undefined }, 'address'],
    ['address country not ISO', withAddress({ country: 'ZZ' }), 'address.country'],
    ['AU address with an unknown state', withAddress({ state: 'XYZ' }), 'address.state'],
    ['AU address without a state', withAddress({ state: undefined }), 'address.state'],
    ['AU postcode not 4 digits', withAddress({ postcode: '200' }), 'address.postcode'],
    ['AU postcode of another state', withAddress({ postcode: '3000' }), 'address.postcode'],
    ['blank city', withAddress({ city: ' ' }), 'address.city'],
    ['unknown address field', withAddress({ suburb: 'x' }), 'address.suburb'],
    ['unknown top-level field', { tax_id: '123' }, 'tax_id'],
  ];
  for (const [name, change, field] of cases) {
    it(`${name} → ${field}`, async () => {
      const body = validKyc(change);
      for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
      if (body.address) for (const [k, v] of Object.entries(body.address as object)) if (v === undefined) delete (body.address as Record<string, unknown>)[k];
      expect400(await kyc(account, body), field);
    });
  }

  it('a body that is not an object is a 400, and the account stays unverified', async () => {
    for (const body of ['[]', '"x"', 'null']) {
      const result = await ctx.call('POST', `/api/v1/accounts/${account}/kyc`, {
        key: platform.keys.sandbox,
        body,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(result.status, 400, body);
      assert.ok(['INVALID_REQUEST', 'INVALID_JSON'].includes(result.body.error.code));
    }
    const read = await ctx.call('GET', `/api/v1/accounts/${account}`, { key: platform.keys.sandbox });
    assert.equal(read.body.verification_status, 'unverified');
  });
});

describe('POST /accounts/{id}/kyc — accepted', () => {
  it('200 pending; normalises the id number and shows it only masked; non-AU addresses need no state', async () => {
    const account = await individual();
    const result = await kyc(
      account,
      validKyc({
        nationality: 'NZ',
        id_type: 'drivers_licence',
        id_number: 'dl 9876-5432',
        address: { line1: '5 Queen Street', city: 'Auckland', postcode: '1010', country: 'NZ' },
      }),
    );
    assert.equal(result.status, 200, result.raw);
    assert.equal(result.body.status, 'pending');
    assert.equal(result.body.kind, 'kyc');
    assert.equal(result.body.identity.id_number_masked, '••••••5432');
    assert.equal(result.body.identity.id_number, undefined);
    assert.ok(!result.raw.includes('98765432'));
    assert.ok(!result.raw.includes('DL98765432'));
    const read = await ctx.call('GET', `/api/v1/accounts/${account}/verification`, { key: platform.keys.sandbox });
    assert.ok(!read.raw.includes('98765432'));
    assert.equal(read.body.identity.id_number_masked, '••••••5432');
  });

  it('exactly 18 today is an adult; AU states are accepted in any case and every state has its postcodes', async () => {
    const samples: [string, string][] = [['nsw', '2000'], ['ACT', '2600'], ['ACT', '0200'], ['VIC', '3000'], ['QLD', '4000'], ['SA', '5000'], ['WA', '6000'], ['TAS', '7000'], ['NT', '0800']];
    for (const [state, postcode] of samples) {
      const account = await individual();
      const result = await kyc(account, validKyc({ date_of_birth: yearsAgo(18), ...withAddress({ state, postcode }) }));
      assert.equal(result.status, 200, `${state} ${postcode}: ${result.raw}`);
      assert.equal(result.body.identity.address.state, state.toUpperCase());
    }
  });

  it('identity data never reaches a log line', async () => {
    const account = await individual();
    const marker = 'Zebulonwxq';
    assert.equal((await kyc(account, validKyc({ last_name: marker, id_number: 'ZQ7777777' }))).status, 200);
    const bad = await kyc(await individual(), validKyc({ last_name: marker, date_of_birth: '2001-02-29' }));
    assert.equal(bad.status, 400);
    assert.ok(!bad.raw.includes(marker), 'error bodies do not echo identity data');
    const logs = ctx.logLines.join('\n');
    assert.ok(!logs.includes(marker));
    assert.ok(!logs.includes('ZQ7777777'));
  });
});

describe('POST /accounts — unstorable characters are a 400, not a 500', () => {
  for (const [field, value] of [['email', 'a\u0000b@example.com'], ['email', 'a\ud800@example.com'], ['display_name', 'Ol\u0000ivia'], ['display_name', '\udfff']]) {
    it(`${field} ${JSON.stringify(value)}`, async () => {
      const body = { customer_type: 'individual', email: 'ok@example.com', country: 'AU', [field as string]: value };
      expect400(await ctx.call('POST', '/api/v1/accounts', { key: platform.keys.sandbox, body }), field as string);
    });
  }
});

describe('account type rules', () => {
  it('422 KYC_REQUIRES_INDIVIDUAL on a business account, 422 KYB_REQUIRES_BUSINESS on an individual one', async () => {
    const onBusiness = await kyc(await business(), validKyc());
    assert.equal(onBusiness.status, 422);
    assert.equal(onBusiness.body.error.code, 'KYC_REQUIRES_INDIVIDUAL');
    assert.equal(onBusiness.body.error.detail.customer_type, 'business');
    const onIndividual = await kyb(await individual(), validKyb());
    assert.equal(onIndividual.status, 422);
    assert.equal(onIndividual.body.error.code, 'KYB_REQUIRES_BUSINESS');
  });

  it("403 PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR for the platform's own account", async () => {
    for (const result of [await kyc(platform.id, validKyc()), await kyb(platform.id, validKyb())]) {
      assert.equal(result.status, 403);
      assert.equal(result.body.error.code, 'PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR');
    }
  });
});

describe('POST /accounts/{id}/kyb', () => {
  let account: string;
  before(async () => {
    account = await business();
  });
  const owner = (pct: number, name = 'Cara') => ({ first_name: name, last_name: 'Diaz', date_of_birth: '1970-06-15', nationality: 'AU', ownership_percentage: pct });

  const cases: [string, Record<string, unknown>, string][] = [
    ['blank legal_name', { legal_name: ' ' }, 'legal_name'],
    ['AU registration number with a bad checksum', { registration_number: '51 824 753 557' }, 'registration_number'],
    ['AU registration number of the wrong length', { registration_number: '1234' }, 'registration_number'],
    ['country_of_incorporation not ISO', { country_of_incorporation: 'UK' }, 'country_of_incorporation'],
    ['unknown business_type', { business_type: 'cooperative' }, 'business_type'],
    ['registered_address with the wrong postcode', { registered_address: { line1: 'x st', city: 'Perth', state: 'WA', postcode: '2000', country: 'AU' } }, 'registered_address.postcode'],
    ['an owner under 25 %', { beneficial_owners: [owner(24.99)] }, 'beneficial_owners.0.ownership_percentage'],
    ['an owner over 100 %', { beneficial_owners: [owner(101)] }, 'beneficial_owners.0.ownership_percentage'],
    ['a percentage with three decimals', { beneficial_owners: [owner(33.333)] }, 'beneficial_owners.0.ownership_percentage'],
    ['a percentage as a string', { beneficial_owners: [{ ...owner(30), ownership_percentage: '30' }] }, 'beneficial_owners.0.ownership_percentage'],
    ['owners adding up to more than 100 %', { beneficial_owners: [owner(60, 'A'), owner(50, 'B')] }, 'beneficial_owners'],
    ['the same owner twice', { beneficial_owners: [owner(30), owner(30)] }, 'beneficial_owners.1'],
    ['an owner with an impossible birth date', { beneficial_owners: [{ ...owner(30), date_of_birth: '1970-13-01' }] }, 'beneficial_owners.0.date_of_birth'],
    ['an owner with a bad nationality', { beneficial_owners: [{ ...owner(30), nationality: 'Australia' }] }, 'beneficial_owners.0.nationality'],
    ['more than four owners', { beneficial_owners: [owner(25, 'A'), owner(25, 'B'), owner(25, 'C'), owner(25, 'D'), owner(25, 'E')] }, 'beneficial_owners'],
    ['completeness not confirmed', { beneficial_owners_complete: false }, 'beneficial_owners_complete'],
    ['completeness missing', { beneficial_owners_complete: undefined }, 'beneficial_owners_complete'],
    ['a sole trader without one 100 % owner', { business_type: 'sole_trader', beneficial_owners: [owner(50)] }, 'beneficial_owners'],
  ];
  for (const [name, change, field] of cases) {
    it(`${name} → ${field}`, async () => {
      const body = validKyb(change);
      for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
      expect400(await kyb(account, body), field);
    });
  }

  it('200 pending with owners at exactly 25 % and 100 % in total; an ACN is accepted; foreign numbers are free-form', async () => {
    const result = await kyb(await business(), validKyb({ registration_number: '004 085 616', beneficial_owners: [owner(75, 'A'), owner(25, 'B')] }));
    assert.equal(result.status, 200, result.raw);
    assert.equal(result.body.status, 'pending');
    assert.equal(result.body.kind, 'kyb');
    assert.deepEqual(result.body.identity.beneficial_owners.map((o: { ownership_percentage: number }) => o.ownership_percentage), [75, 25]);
    const foreign = await kyb(
      await business(),
      validKyb({
        country_of_incorporation: 'SG',
        registration_number: '201912345K',
        registered_address: { line1: '1 Raffles Place', city: 'Singapore', postcode: '048616', country: 'SG' },
        beneficial_owners: [],
      }),
    );
    assert.equal(foreign.status, 200, foreign.raw);
  });
});

describe('no 500 on any input', () => {
  it('random values in any field of a KYC or KYB body get 200, 400 or 409, never a 500', async () => {
    const accounts = { kyc: await individual(), kyb: await business() };
    const value = fc.oneof(fc.jsonValue(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.double(), fc.constant('\u0000'), fc.constant('\ud800'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<'kyc' | 'kyb'>('kyc', 'kyb'), fc.string({ maxLength: 40 }), value, fc.boolean(), async (kind, rawPath, v, nested) => {
        const body = kind === 'kyc' ? validKyc() : validKyb();
        const keys = Object.keys(body);
        const top = keys[rawPath.length % keys.length] as string;
        const target = body[top];
        if (nested && target && typeof target === 'object' && !Array.isArray(target)) {
          const inner = Object.keys(target);
          (target as Record<string, unknown>)[inner[rawPath.length % inner.length] as string] = v;
        } else if (nested && Array.isArray(target) && target[0]) {
          (target[0] as Record<string, unknown>).ownership_percentage = v;
        } else {
          body[rawPath.length % 3 === 0 ? rawPath : top] = v;
        }
        const result = await ctx.call('POST', `/api/v1/accounts/${accounts[kind]}/${kind}`, { key: platform.keys.sandbox, body });
        assert.ok([200, 400, 409].includes(result.status), `${result.status} ${result.raw}`);
        if (result.status === 400) assert.equal(typeof result.body.error.detail?.field, 'string', result.raw);
      }),
      { numRuns: 150 },
    );
  });
});
