// GitHub secret-scanning partner reports: the signature over the raw body (good, wrong key, tampered body, unknown key
// id, none), malformed and oversized reports, the per-token answers, and what a true positive does (flag or revoke).
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { parseScanningPublicKeys } from '../src/lib/secret-scanning.ts';
import { generateApiKey } from '../src/lib/api-key.ts';
import { createTestKey, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';

const pair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const github = pair();
const stranger = pair();
const keyList = JSON.stringify({
  public_keys: [
    { key_identifier: 'gh-current', key: github.publicKey.export({ type: 'spki', format: 'pem' }), is_current: true },
    { key_identifier: 'gh-old', key: pair().publicKey.export({ type: 'spki', format: 'pem' }), is_current: false },
  ],
});
const signBody = (body: string, privateKey: KeyObject) => sign('sha256', Buffer.from(body), privateKey).toString('base64');

async function startWith(action: 'flag' | 'revoke') {
  const config = loadConfig({ PIK_SECRET_SCANNING_PUBLIC_KEYS: keyList, PIK_LEAKED_KEY_ACTION: action });
  return startTestApp({ secretScanningPublicKeys: config.secretScanningPublicKeys, leakedKeyAction: config.leakedKeyAction });
}

function report(ctx: TestContext, body: string, headers: Record<string, string>) {
  return ctx.call('POST', '/secret-scanning/v1/reports', { body, headers: { 'content-type': 'application/json', ...headers } });
}

describe('configuration', () => {
  it("PIK_SECRET_SCANNING_PUBLIC_KEYS takes GitHub's JSON and refuses anything else", () => {
    const keys = parseScanningPublicKeys(keyList);
    assert.ok(Array.isArray(keys) && keys.length === 2 && keys[0]?.isCurrent === true && keys[1]?.isCurrent === false);
    assert.throws(() => loadConfig({ PIK_SECRET_SCANNING_PUBLIC_KEYS: '{"public_keys": []}' }), /PIK_SECRET_SCANNING_PUBLIC_KEYS/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
    assert.throws(() => loadConfig({ PIK_SECRET_SCANNING_PUBLIC_KEYS: JSON.stringify({ public_keys: [{ key_identifier: 'x', key: rsa }] }) }), /P-256/);
    assert.throws(() => loadConfig({ PIK_LEAKED_KEY_ACTION: 'delete' }), /PIK_LEAKED_KEY_ACTION/);
    assert.equal(loadConfig({}).leakedKeyAction, 'flag');
  });
});

describe('POST /secret-scanning/v1/reports (PIK_LEAKED_KEY_ACTION=flag)', () => {
  let ctx: TestContext;
  let platform: TestPlatform;
  let leaked: { id: string; secret: string };

  before(async () => {
    ctx = await startWith('flag');
    platform = await createTestPlatform(ctx);
    leaked = await createTestKey(ctx, platform.id, 'sandbox');
  });
  after(() => ctx.close());

  const bodyFor = (tokens: string[]) => JSON.stringify(tokens.map((token) => ({ token, type: 'pik_api_key', url: 'https://github.com/someone/repo/blob/main/.env', source: 'content' })));

  it('401 unless the raw body is signed by a listed key: none, wrong key, tampered body, unknown key id, garbage', async () => {
    const body = bodyFor([leaked.secret]);
    const cases: [string, Record<string, string>, string][] = [
      ['unsigned', {}, 'missing'],
      ['wrong key', { 'github-public-key-identifier': 'gh-current', 'github-public-key-signature': signBody(body, stranger.privateKey) }, 'invalid'],
      ['signed by the old key, named as current', { 'github-public-key-identifier': 'gh-old', 'github-public-key-signature': signBody(body, github.privateKey) }, 'invalid'],
      ['unknown key id', { 'github-public-key-identifier': 'nope', 'github-public-key-signature': signBody(body, github.privateKey) }, 'unknown_key'],
      ['not base64', { 'github-public-key-identifier': 'gh-current', 'github-public-key-signature': '!!!' }, 'invalid'],
    ];
    for (const [name, headers, reason] of cases) {
      const result = await report(ctx, body, headers);
      assert.equal(result.status, 401, name);
      assert.equal(result.body.error.code, 'SECRET_SCANNING_SIGNATURE_INVALID', name);
      assert.equal(result.body.error.detail.reason, reason, name);
    }
    const tampered = await report(ctx, body.replace('content', 'commit'), { 'github-public-key-identifier': 'gh-current', 'github-public-key-signature': signBody(body, github.privateKey) });
    assert.equal(tampered.status, 401, 'a body changed after signing');
    const keys = await ctx.admin('GET', `/admin/v1/platforms/${platform.id}/keys`);
    assert.equal(keys.body.data.find((k: { id: string }) => k.id === leaked.id).exposed, false, 'nothing was done for an unsigned report');
  });

  it('a good signature: true_positive for our key (flagged, event, still working), false_positive for the rest', async () => {
    const badChecksum = `${leaked.secret.slice(0, -1)}${leaked.secret.endsWith('a') ? 'b' : 'a'}`;
    const unknownButWellFormed = generateApiKey('sandbox').secret; // checksum valid, but no such key
    const body = bodyFor([leaked.secret, badChecksum, unknownButWellFormed, 'ghp_notours']);
    const result = await report(ctx, body, { 'github-public-key-identifier': 'gh-current', 'github-public-key-signature': signBody(body, github.privateKey) });
    assert.equal(result.status, 200, result.raw);
    assert.deepEqual(result.body, [
      { token_raw: leaked.secret, token_type: 'pik_api_key', label: 'true_positive' },
      { token_raw: badChecksum, token_type: 'pik_api_key', label: 'false_positive' },
      { token_raw: unknownButWellFormed, token_type: 'pik_api_key', label: 'false_positive' },
      { token_raw: 'ghp_notours', token_type: 'pik_api_key', label: 'false_positive' },
    ]);
    const keys = await ctx.admin('GET', `/admin/v1/platforms/${platform.id}/keys`);
    const row = keys.body.data.find((k: { id: string }) => k.id === leaked.id);
    assert.deepEqual([row.exposed, row.status], [true, 'active']);
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: leaked.secret })).status, 200, 'flag only: the key still works');
    const events = await ctx.call('GET', '/api/v1/events?type=api_key.exposed', { key: platform.keys.sandbox });
    const exposed = events.body.data.filter((e: { data: { id: string } }) => e.data.id === leaked.id);
    assert.equal(exposed.length, 1);
    assert.deepEqual([exposed[0].data.source, exposed[0].data.url, exposed[0].data.revoked], ['secret_scanning', 'https://github.com/someone/repo/blob/main/.env', false]);
    assert.ok(!JSON.stringify(events.body).includes(leaked.secret), 'the event never holds the secret');
  });

  it('400 for a malformed report, 413 for one over 1 MB (signed or not)', async () => {
    for (const body of ['{"not": "an array"}', '[]', '[{"token": 5}]', 'not json']) {
      const result = await report(ctx, body, { 'github-public-key-identifier': 'gh-current', 'github-public-key-signature': signBody(body, github.privateKey) });
      assert.equal(result.status, 400, `${body}: ${result.raw}`);
    }
    const big = JSON.stringify([{ token: 'x', type: 't', url: 'u', source: 'x'.repeat(1024 * 1024) }]);
    const result = await report(ctx, big, { 'github-public-key-identifier': 'gh-current', 'github-public-key-signature': signBody(big, github.privateKey) });
    assert.equal(result.status, 413);
    assert.equal(result.body.error.code, 'BODY_TOO_LARGE');
  });
});

describe('PIK_LEAKED_KEY_ACTION=revoke', () => {
  it('a true positive is deleted at once: 401 API_KEY_REVOKED, api_key.exposed (revoked) and api_key.deleted', async () => {
    const ctx = await startWith('revoke');
    try {
      const platform = await createTestPlatform(ctx);
      const leaked = await createTestKey(ctx, platform.id, 'sandbox');
      assert.equal((await ctx.call('GET', '/api/v1/account', { key: leaked.secret })).status, 200);
      const body = JSON.stringify([{ token: leaked.secret, type: 'pik_api_key', url: 'https://gist.github.com/x', source: 'gist' }]);
      const result = await report(ctx, body, { 'github-public-key-identifier': 'gh-current', 'github-public-key-signature': signBody(body, github.privateKey) });
      assert.equal(result.body[0].label, 'true_positive');
      assert.equal((await ctx.call('GET', '/api/v1/account', { key: leaked.secret })).body.error.code, 'API_KEY_REVOKED');
      const events = await ctx.call('GET', '/api/v1/events?limit=100', { key: platform.keys.sandbox });
      const types = events.body.data.filter((e: { data: { id?: string } }) => e.data.id === leaked.id).map((e: { type: string }) => e.type);
      assert.deepEqual(types.sort(), ['api_key.created', 'api_key.deleted', 'api_key.exposed']);
    } finally {
      await ctx.close();
    }
  });
});
