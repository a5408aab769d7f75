// No API key, password or operator token ever reaches a log line, an error body or the database in plaintext.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createTestConnectedAccount, createTestKey, createTestPlatform, startTestApp, type TestContext } from './support/context.ts';

let ctx: TestContext;
const secrets: string[] = [];
const password = 'correct horse battery staple';

before(async () => {
  ctx = await startTestApp();
  // A full scenario: platforms, keys in both environments, good and bad calls, a key in a URL, rotation.
  const platform = await createTestPlatform(ctx);
  secrets.push(platform.keys.sandbox, platform.keys.production);
  const extra = await createTestKey(ctx, platform.id, 'sandbox');
  secrets.push(extra.secret);
  const account = await createTestConnectedAccount(ctx, platform, 'sandbox');
  await ctx.call('GET', '/api/v1/account', { key: platform.keys.sandbox, onBehalfOf: account });
  await ctx.call('GET', '/api/v1/account', { key: platform.keys.production });
  await ctx.call('GET', `/api/v1/account?api_key=${extra.secret}`, { key: platform.keys.sandbox });
  await ctx.call('GET', `/api/v1/accounts/${platform.keys.sandbox}`, { key: platform.keys.sandbox });
  await ctx.call('GET', '/api/v1/account', { headers: { authorization: `Basic ${platform.keys.sandbox}` } });
  await ctx.call('GET', '/api/v1/account', { key: `${platform.keys.sandbox.slice(0, -1)}x` });
  await ctx.call('POST', '/api/v1/accounts', { key: platform.keys.sandbox, body: `{"broken": "${platform.keys.sandbox}`, headers: { 'content-type': 'application/json' } });
  await ctx.call('POST', '/api/v1/accounts', { key: platform.keys.sandbox, body: { customer_type: 'individual', email: platform.keys.sandbox, country: 'AU' } });
  await ctx.admin('DELETE', `/admin/v1/keys/${extra.id}`);
  await ctx.call('GET', '/api/v1/account', { key: extra.secret });
  await ctx.admin('POST', '/admin/v1/platforms', { name: 'P', owner_email: 'pw@example.test', owner_password: password });
  await ctx.call('GET', '/admin/v1/platforms', { headers: { authorization: 'Bearer wrong-operator-token' } });
  await ctx.services.keyUsage.flush();
});
after(() => ctx.close());

describe('secrets', () => {
  it('no log line holds a key, a password or the operator token', () => {
    const text = ctx.logLines.join('');
    assert.ok(ctx.logLines.length > 10, 'the scenario should have produced log lines');
    for (const secret of secrets) {
      assert.ok(!text.includes(secret), 'a full key reached the logs');
      assert.ok(!text.includes(secret.slice(9, 41)), 'the random part of a key reached the logs');
    }
    assert.ok(!text.includes(password));
    assert.ok(!text.includes(ctx.operatorToken));
    assert.ok(!/Bearer [^<]/.test(text), 'an Authorization header value reached the logs');
    assert.ok(!text.includes('wrong-operator-token'));
  });

  it('no table in any schema holds a key or a password in plaintext', async () => {
    const tables = await sql<{ table_schema: string; table_name: string }>`
      select table_schema, table_name from information_schema.tables
      where table_schema in ('core', 'sandbox', 'production') and table_type = 'BASE TABLE'`.execute(ctx.services.db.core);
    assert.ok(tables.rows.length >= 6);
    for (const { table_schema, table_name } of tables.rows) {
      const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(`${table_schema}.${table_name}`)} as t`.execute(ctx.services.db.core);
      const dump = rows.rows.map((r) => r.row).join('\n');
      for (const secret of secrets) assert.ok(!dump.includes(secret.slice(9, 41)), `${table_schema}.${table_name} holds a key`);
      assert.ok(!dump.includes(password), `${table_schema}.${table_name} holds a password`);
    }
  });

  it('keys are stored as SHA-256 with a hint, and the hint is all that is shown back', async () => {
    const keys = await ctx.services.db.core.selectFrom('core.api_keys').select(['key_hash', 'hint']).execute();
    for (const key of keys) {
      assert.match(key.key_hash, /^[0-9a-f]{64}$/);
      assert.match(key.hint, /^pik_(test|live)_…[0-9A-Za-z]{4}$/);
    }
  });
});
