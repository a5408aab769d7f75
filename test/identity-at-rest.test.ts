// Identity data at rest: sealed in the database (AES-256-GCM, bound to its row), shown masked as before, never in the
// request log; key rotation; and the first start after migration 0009 sealing the plaintext rows it finds.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openPglite, type Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { DataKeyMismatchError, identityContext, idempotencyResponseContext, sealDataAtRest, UnknownDataKeyError } from '../src/db/sealed-columns.ts';
import type { KycIdentity } from '../src/domain/accounts/identity.ts';
import { getVerification } from '../src/domain/accounts/verification.ts';
import { newId } from '../src/lib/ids.ts';
import { DataKeyring, dataKeyId, parseDataKey, sealedKeyId, sealedPattern } from '../src/lib/sealed.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, testDataKey, type TestContext, type TestPlatform } from './support/context.ts';
import { createTestDatabase } from './support/database.ts';
import { validKyb, validKyc } from './support/onboarding.ts';

// Every value of the fixtures that identifies a person or a business, as a raw row would show it.
const kycSecrets = ['PA1234567', 'Olivia', 'Nguyen', '1990-04-12', 'George Street'];
const kybSecrets = ['Harbour Widgets', '51824753556', 'Collins Street', 'Ada', '1980-01-31', 'Ong', '1975-12-01'];

async function rawRows(db: Database, table: string, where: string, value: string): Promise<string> {
  const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(`sandbox.${table}`)} t where ${sql.ref(where)} = ${value}`.execute(db.core);
  assert.ok(rows.rows.length > 0, `a row of ${table}`);
  return rows.rows.map((r) => r.row).join('\n');
}

function assertNoneOf(text: string, secrets: readonly string[], what: string): void {
  for (const secret of secrets) assert.ok(!text.toLowerCase().includes(secret.toLowerCase()), `${what} contains "${secret}"`);
}

describe('identity data at rest', () => {
  let ctx: TestContext;
  let platform: TestPlatform;
  before(async () => {
    ctx = await startTestApp();
    platform = await createTestPlatform(ctx);
  });
  after(() => ctx.close());

  const submit = (account: string, kind: 'kyc' | 'kyb', headers: Record<string, string> = {}) =>
    ctx.call('POST', `/api/v1/accounts/${account}/${kind}`, { key: platform.keys.sandbox, body: kind === 'kyc' ? validKyc() : validKyb(), headers });

  it('KYC: the stored row holds none of the identity; reads show it as before, id number masked', async () => {
    const account = await createTestConnectedAccount(ctx, platform);
    assert.equal((await submit(account, 'kyc')).status, 200);
    const stored = await ctx.services.db.env('sandbox').selectFrom('verifications').select('identity').where('account_id', '=', account).executeTakeFirstOrThrow();
    assert.match(stored.identity, sealedPattern);
    assert.equal(sealedKeyId(stored.identity), ctx.services.dataKeys.currentKeyId);
    assertNoneOf(await rawRows(ctx.services.db, 'verifications', 'account_id', account), kycSecrets, 'the verifications row');

    const read = await ctx.call('GET', `/api/v1/accounts/${account}/verification`, { key: platform.keys.sandbox });
    assert.equal(read.status, 200);
    assert.equal(read.body.identity.first_name, 'Olivia');
    assert.equal(read.body.identity.date_of_birth, '1990-04-12');
    assert.equal(read.body.identity.id_number_masked, '•••••4567');
    assert.ok(!read.raw.includes('PA1234567'));
    const operator = await ctx.admin('GET', `/admin/v1/verifications/${account}?environment=sandbox`);
    assert.equal(operator.body.identity.id_number_masked, '•••••4567');
    const queue = await ctx.admin('GET', '/admin/v1/verifications?environment=sandbox&limit=100');
    assert.equal(queue.body.data.find((item: { account_id: string }) => item.account_id === account)?.name, 'Olivia Nguyen');
  });

  it('KYB: no legal name, registration number, address, owner names or birth dates in the stored row', async () => {
    const account = await createTestConnectedAccount(ctx, platform, 'sandbox', { customer_type: 'business' });
    assert.equal((await submit(account, 'kyb')).status, 200);
    assertNoneOf(await rawRows(ctx.services.db, 'verifications', 'account_id', account), kybSecrets, 'the verifications row');
    const read = await ctx.call('GET', `/api/v1/accounts/${account}/verification`, { key: platform.keys.sandbox });
    assert.equal(read.body.identity.legal_name, 'Harbour Widgets Pty Ltd');
    assert.deepEqual(read.body.identity.beneficial_owners.map((o: { last_name: string }) => o.last_name), ['Lee', 'Ong']);
  });

  it('the stored answer of an idempotent KYC holds none of the identity, and still replays byte for byte', async () => {
    const account = await createTestConnectedAccount(ctx, platform);
    const key = `kyc-${account}`;
    const first = await submit(account, 'kyc', { 'idempotency-key': key });
    assert.equal(first.status, 200);
    assertNoneOf(await rawRows(ctx.services.db, 'idempotency_keys', 'key', key), kycSecrets, 'the idempotency_keys row');
    const replay = await submit(account, 'kyc', { 'idempotency-key': key });
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.raw, first.raw);
    // A 4xx answer is stored for replay too, sealed the same way.
    const refused = await submit(account, 'kyc', { 'idempotency-key': `${key}-again` });
    assert.equal(refused.status, 409);
    const stored = await ctx.services.db.env('sandbox').selectFrom('idempotency_keys').select('response_body').where('key', '=', `${key}-again`).executeTakeFirstOrThrow();
    assert.match(stored.response_body ?? '', sealedPattern);
  });

  it('the request log of a KYC request holds nothing of its body', async () => {
    const account = await createTestConnectedAccount(ctx, platform);
    assert.equal((await submit(account, 'kyc')).status, 200);
    await ctx.services.requestLog.flush();
    const segments = await ctx.services.db.env('sandbox').selectFrom('request_log_segments').select('entries').where('platform_id', '=', platform.id).execute();
    const lines = segments.map((s) => gunzipSync(s.entries).toString('utf8')).join('\n');
    assert.ok(lines.includes(`/api/v1/accounts/${account}/kyc`), 'the request is logged');
    assertNoneOf(lines, kycSecrets, 'the request log');
  });

  it('CHECK constraints refuse plaintext in the sealed columns, whoever writes it', async () => {
    const account = await createTestConnectedAccount(ctx, platform);
    assert.equal((await submit(account, 'kyc', { 'idempotency-key': `check-${account}` })).status, 200);
    const env = ctx.services.db.env('sandbox');
    await assert.rejects(
      env.updateTable('verifications').set({ identity: JSON.stringify({ id_number: 'PA1234567' }) }).where('account_id', '=', account).execute(),
      /verifications_identity_sealed/,
    );
    await assert.rejects(
      env.updateTable('idempotency_keys').set({ response_body: '{"identity":{}}' }).where('key', '=', `check-${account}`).execute(),
      /idempotency_keys_response_sealed/,
    );
  });

  it("a ciphertext moved onto another account's row does not open: a plain 500, nothing shown or logged", async () => {
    const [victim, other] = [await createTestConnectedAccount(ctx, platform), await createTestConnectedAccount(ctx, platform)];
    assert.equal((await submit(victim, 'kyc')).status, 200);
    const otherKyc = await ctx.call('POST', `/api/v1/accounts/${other}/kyc`, {
      key: platform.keys.sandbox,
      body: validKyc({ first_name: 'Zed', id_number: 'ZZ9999999' }),
    });
    assert.equal(otherKyc.status, 200);
    const env = ctx.services.db.env('sandbox');
    const stolen = await env.selectFrom('verifications').select('identity').where('account_id', '=', victim).executeTakeFirstOrThrow();
    await env.updateTable('verifications').set({ identity: stolen.identity }).where('account_id', '=', other).execute();

    const read = await ctx.call('GET', `/api/v1/accounts/${other}/verification`, { key: platform.keys.sandbox });
    assert.equal(read.status, 500);
    assertNoneOf(read.raw, kycSecrets, 'the answer');
    assert.ok(ctx.logLines.some((line) => line.includes('SealedDataError')), 'the failure is logged');
    assertNoneOf(ctx.logLines.join('\n'), kycSecrets, 'the log');
    // The victim's own row still opens where it belongs.
    assert.equal((await ctx.call('GET', `/api/v1/accounts/${victim}/verification`, { key: platform.keys.sandbox })).body.identity.first_name, 'Olivia');
  });
});

describe('data key rotation', () => {
  let ctx: TestContext;
  let platform: TestPlatform;
  before(async () => {
    ctx = await startTestApp();
    platform = await createTestPlatform(ctx);
  });
  after(() => ctx.close());

  it('an old key still opens its rows; the start-up pass moves them to the new key; a missing key stops the start', async () => {
    const accounts = [await createTestConnectedAccount(ctx, platform), await createTestConnectedAccount(ctx, platform)];
    for (const account of accounts) {
      const submitted = await ctx.call('POST', `/api/v1/accounts/${account}/kyc`, { key: platform.keys.sandbox, body: validKyc(), headers: { 'idempotency-key': account } });
      assert.equal(submitted.status, 200);
    }
    const oldKeyId = ctx.services.dataKeys.currentKeyId;
    const newKey = randomBytes(32);
    const oldKey = parseDataKey(testDataKey) as Buffer;
    const current = new DataKeyring(newKey);
    const rotated = { ...ctx.services, dataKeys: new DataKeyring(newKey, [randomBytes(32)]) };
    const scope = { platformId: platform.id, environment: 'sandbox' as const, keyId: platform.keyIds.sandbox, accountId: platform.id, isPlatformScope: true, viaOnBehalfOf: false };
    const stored = () => ctx.services.db.env('sandbox').selectFrom('verifications').select(['account_id', 'identity']).where('account_id', 'in', accounts).execute();

    // Configured with the new key only, the old rows would not open; with the old one among the old keys they do.
    await assert.rejects(getVerification(rotated, scope, accounts[0]!), /not configured/);
    const both = { ...ctx.services, dataKeys: new DataKeyring(newKey, [randomBytes(32), oldKey]) };
    assert.equal(((await getVerification(both, scope, accounts[0]!)).verification?.identity as KycIdentity).first_name, 'Olivia');

    // A start without the old key refuses, naming the key id it needs.
    await assert.rejects(sealDataAtRest(ctx.services.db, current), (error: unknown) => error instanceof UnknownDataKeyError && error.message.includes(oldKeyId));

    const report = await sealDataAtRest(ctx.services.db, both.dataKeys);
    assert.ok(report.resealed >= 4, `verifications and stored answers re-sealed (${JSON.stringify(report)})`);
    for (const row of await stored()) {
      assert.equal(sealedKeyId(row.identity), dataKeyId(newKey));
      assert.match(current.open(row.identity, identityContext('sandbox', row.account_id)), /PA1234567/);
    }
    const answer = await ctx.services.db.env('sandbox').selectFrom('idempotency_keys').select('response_body').where('key', '=', accounts[0]!).executeTakeFirstOrThrow();
    assert.match(current.open(answer.response_body ?? '', idempotencyResponseContext('sandbox', platform.id, accounts[0]!)), /Olivia/);

    // Now the new key alone is enough, and a second pass has nothing left to do.
    assert.deepEqual(await sealDataAtRest(ctx.services.db, current), { sealed: 0, resealed: 0 });
    assert.equal(((await getVerification({ ...ctx.services, dataKeys: current }, scope, accounts[1]!)).verification?.identity as KycIdentity).last_name, 'Nguyen');
  });
});

describe('migration 0009 and the first start after it', () => {
  it('seals the plaintext rows it finds, then validates the CHECKs so no plaintext can be written again', async () => {
    const db = await openPglite();
    try {
      await migrate(db, { through: '0005_request_log_segments' });
      const [platform, account] = [newId('account'), newId('account')];
      const now = new Date();
      await sql`insert into core.platforms (id, name) values (${platform}, 'Legacy')`.execute(db.core);
      await sql`insert into sandbox.accounts (id, platform_id, type, customer_type, email, country, verification_status, created_at, updated_at)
        values (${account}, ${platform}, 'connected', 'individual', 'legacy@example.test', 'AU', 'pending', ${now}, ${now})`.execute(db.core);
      const identity = { first_name: 'Olivia', last_name: 'Nguyen', date_of_birth: '1990-04-12', id_number: 'PA1234567', id_type: 'passport' };
      await sql`insert into sandbox.verifications (account_id, platform_id, kind, identity, submitted_at, updated_at)
        values (${account}, ${platform}, 'kyc', ${JSON.stringify(identity)}, ${now}, ${now})`.execute(db.core);
      await sql`insert into sandbox.idempotency_keys (platform_id, key, request_hash, claim_token, locked_until, committed_at, response_status, response_body, expires_at)
        values (${platform}, 'legacy', 'h', 't', ${now}, ${now}, 200, '{"identity":{"first_name":"Olivia"}}', ${new Date(now.getTime() + 3600_000)})`.execute(db.core);

      await migrate(db);
      const validated = () =>
        sql<{ conname: string; convalidated: boolean }>`select conname, convalidated from pg_constraint where conname in ('verifications_identity_sealed', 'idempotency_keys_response_sealed') order by conname`.execute(db.core);
      assert.ok((await validated()).rows.every((c) => !c.convalidated), 'NOT VALID until the first start');

      const keyring = new DataKeyring(randomBytes(32));
      assert.deepEqual(await sealDataAtRest(db, keyring), { sealed: 2, resealed: 0 });
      assertNoneOf(await rawRows(db, 'verifications', 'account_id', account), kycSecrets, 'the sealed legacy row');
      assertNoneOf(await rawRows(db, 'idempotency_keys', 'key', 'legacy'), ['Olivia'], 'the sealed legacy answer');
      const row = await db.env('sandbox').selectFrom('verifications').select('identity').where('account_id', '=', account).executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(keyring.open(row.identity, identityContext('sandbox', account))), identity);
      const constraints = (await validated()).rows;
      assert.equal(constraints.length, 4, 'two columns in two environments');
      assert.ok(constraints.every((c) => c.convalidated));
    } finally {
      await db.close();
    }
  });
});

describe('one data key per deployment (the record of migration 0019)', () => {
  it('the first start claims its key; a process with another key refuses; one given both rotates and records the new', async () => {
    const test = await createTestDatabase();
    try {
      const firstKey = randomBytes(32);
      const first = new DataKeyring(firstKey);
      const other = new DataKeyring(randomBytes(32));
      const recorded = async () => (await sql<{ key_id: string }>`select key_id from core.data_key_record`.execute(test.db.core)).rows.map((r) => r.key_id);

      assert.deepEqual(await sealDataAtRest(test.db, first), { sealed: 0, resealed: 0 });
      assert.deepEqual(await recorded(), [first.currentKeyId], 'the first start claims the deployment for its key');
      // Nothing is sealed yet, and still another key is refused: it would seal what the first cannot read.
      await assert.rejects(
        sealDataAtRest(test.db, other),
        (error: unknown) => error instanceof DataKeyMismatchError && error.message.includes(first.currentKeyId) && error.message.includes(other.currentKeyId),
      );
      assert.deepEqual(await recorded(), [first.currentKeyId]);
      await sealDataAtRest(test.db, first); // the same key starts again

      // A rotation: the new key with the old one beside it starts, and once its pass is done the record is the new key,
      // so a process still given only the old key no longer starts.
      const rotating = new DataKeyring(randomBytes(32), [firstKey]);
      await sealDataAtRest(test.db, rotating);
      assert.deepEqual(await recorded(), [rotating.currentKeyId]);
      await assert.rejects(sealDataAtRest(test.db, first), DataKeyMismatchError);
    } finally {
      await test.drop();
    }
  });
});
