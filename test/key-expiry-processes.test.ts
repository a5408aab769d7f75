// Expiry at the instant on two server processes sharing one PostgreSQL database: each refuses an expired key by its own
// clock, from its cache, with no message between them; and a roll through one node shortens the old key on the other.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { createTestDatabase, needsPostgres, type TestDatabase } from './support/database.ts';
import { startServerProcess, type ServerProcess } from './support/server-process.ts';
import { testDataKey, testOperatorToken } from './support/context.ts';
import { callJson } from './support/http-client.ts';
import { describeOrSkip } from './support/skip.ts';

const call = (url: string, token: string, method = 'GET', body?: unknown) => callJson(url, method, '', token, body);

describeOrSkip(needsPostgres, 'key expiry on two server processes (PostgreSQL)', () => {
  let database: TestDatabase;
  let nodes: ServerProcess[] = [];
  let platformId: string;

  before(async () => {
    database = await createTestDatabase();
    const env = { DATABASE_URL: database.url!, PIK_DATA_KEY: testDataKey, PIK_OPERATOR_TOKEN: testOperatorToken, PIK_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'pik-')) };
    nodes = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    const platform = await call(`${nodes[0]!.url}/admin/v1/platforms`, testOperatorToken, 'POST', { name: 'Expiry', owner_email: 'expiry-multi@example.test' });
    platformId = platform.body.id;
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await database?.drop();
  });

  it('both nodes accept the key before expires_at and refuse it with API_KEY_EXPIRED from that instant', async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const expiresAtMs = Date.now() + 2000;
    const key = await call(`${a.url}/admin/v1/platforms/${platformId}/keys`, testOperatorToken, 'POST', { environment: 'sandbox', expires_at: new Date(expiresAtMs).toISOString() });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    // Both caches hold the key before the instant: what refuses it afterwards is each node's clock, not a reload.
    for (const node of nodes) assert.equal((await call(`${node.url}/api/v1/account`, key.body.secret)).status, 200);
    const seen: { node: string; sentAt: number; answeredAt: number; status: number; code: string | undefined }[] = [];
    const refusedBy = new Set<string>();
    while (refusedBy.size < 2) {
      for (const [name, node] of [['a', a], ['b', b]] as const) {
        const sentAt = Date.now();
        const result = await call(`${node.url}/api/v1/account`, key.body.secret);
        seen.push({ node: name, sentAt, answeredAt: Date.now(), status: result.status, code: result.body?.error?.code });
        if (result.status === 401) refusedBy.add(name);
      }
      assert.ok(Date.now() < expiresAtMs + 5000, 'a node still accepted the key five seconds after it expired');
    }
    for (const s of seen) {
      if (s.sentAt >= expiresAtMs) assert.deepEqual([s.status, s.code], [401, 'API_KEY_EXPIRED'], `node ${s.node}, sent ${s.sentAt - expiresAtMs} ms after expiry`);
      if (s.answeredAt < expiresAtMs) assert.equal(s.status, 200, `node ${s.node}, answered ${expiresAtMs - s.answeredAt} ms before expiry`);
      if (s.status === 401) assert.equal(s.code, 'API_KEY_EXPIRED');
    }
    assert.ok(seen.some((s) => s.status === 200) && seen.filter((s) => s.status === 401).length >= 2);
    const refused = await call(`${b.url}/api/v1/account`, key.body.secret);
    assert.deepEqual(refused.body.error.detail, { expired_at: new Date(expiresAtMs).toISOString() });
  });

  it('a roll through one node (grace 0) makes the other refuse the old key within a second', async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const key = await call(`${a.url}/admin/v1/platforms/${platformId}/keys`, testOperatorToken, 'POST', { environment: 'sandbox' });
    assert.equal((await call(`${b.url}/api/v1/account`, key.body.secret)).status, 200);
    const rolled = await call(`${a.url}/admin/v1/keys/${key.body.id}/roll`, testOperatorToken, 'POST', { expires_in_seconds: 0 });
    assert.equal(rolled.status, 201);
    const rolledAt = Date.now();
    let code: string | undefined;
    while (Date.now() - rolledAt < 1000) {
      const result = await call(`${b.url}/api/v1/account`, key.body.secret);
      if (result.status === 401) {
        code = result.body.error.code;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(code, 'API_KEY_EXPIRED', 'node B still accepted the rolled key a second later');
    assert.equal((await call(`${b.url}/api/v1/account`, rolled.body.secret)).status, 200, 'the successor works on the other node');
  });
});
