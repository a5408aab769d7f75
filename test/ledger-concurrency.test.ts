// Concurrency against real PostgreSQL: hundreds of transfers, payouts and FX conversions from many clients on two server nodes,
// with retried idempotency keys, opposite transfers (deadlock bait) and racing payout answers. Then the invariants.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { openPostgres, type Database } from '../src/db/database.ts';
import { createLogger } from '../src/logger.ts';
import { createServices, type Services } from '../src/services.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, testOperatorToken, type TestContext } from './support/context.ts';
import { needsPostgres } from './support/database.ts';
import { approveAccount, checkLedgerInvariants } from './support/ledger.ts';
import { assertAtMostOneMovementPerKey, buildOperations, inParallel, type LoadPlatform, type Operation } from './support/load.ts';

import { describeOrSkip } from './support/skip.ts';

describeOrSkip(needsPostgres, 'ledger under concurrency (PostgreSQL)', () => {
  let ctx: TestContext;
  let second: { db: Database; services: Services; app: FastifyInstance };
  const platforms: LoadPlatform[] = [];

  before(async () => {
    ctx = await startTestApp({ sandboxSettleDelayMs: 50 });
    // a second server node on the same database, as in a deployment with several processes
    const db = await openPostgres(ctx.database.url as string, 10);
    const services = await createServices(ctx.services.config, db, createLogger('silent'), testOperatorToken, ctx.services.dataKeys);
    second = { db, services, app: await buildApp(services) };
    await second.app.ready();
    for (let p = 0; p < 3; p++) {
      const platform = await createTestPlatform(ctx);
      const accounts: string[] = [];
      for (let a = 0; a < 6; a++) {
        const account = await createTestConnectedAccount(ctx, platform);
        await approveAccount(ctx, 'sandbox', account);
        // small balances, so that many movements hit INSUFFICIENT_BALANCE and the guard is exercised
        const funded = await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { destination_account_id: account, currency: 'AUD', amount: '60.00' } });
        assert.equal(funded.status, 201);
        accounts.push(account);
      }
      platforms.push({ id: platform.id, key: platform.keys.sandbox, accounts });
    }
  });
  after(async () => {
    await second?.app.close();
    await second?.services.close();
    await second?.db.close();
    await ctx?.close();
  });

  const send = async (op: Operation, node: number) => {
    const app = node % 2 === 0 ? ctx.app : second.app;
    const headers: Record<string, string> = { authorization: `Bearer ${op.key}`, 'idempotency-key': op.idempotencyKey };
    if (op.onBehalfOf) headers['x-on-behalf-of'] = op.onBehalfOf;
    const response = await app.inject({ method: op.method, url: op.path, headers, payload: op.body });
    return { op, status: response.statusCode, body: JSON.parse(response.body) as { id?: string; error?: { code: string } } };
  };

  it('600 requests (400 operations, a third sent twice at once) over 18 accounts: invariants hold, no 500, one movement per key', async () => {
    const before = await checkLedgerInvariants(ctx.services.db, 'sandbox');
    const ops = buildOperations(platforms, 400, 7);
    const sends = [...ops.map((op, i) => ({ op, node: i })), ...ops.filter((_, i) => i % 2 === 0).map((op, i) => ({ op, node: i + 1 }))];
    sends.sort((a, b) => (a.op.minor * 7919 + a.node) % 1009 - (b.op.minor * 7919 + b.node) % 1009);
    const results = await inParallel(sends, 50, ({ op, node }) => send(op, node));

    const byCode = new Map<string, number>();
    for (const r of results) {
      const code = r.status < 300 ? String(r.status) : (r.body.error?.code ?? String(r.status));
      byCode.set(code, (byCode.get(code) ?? 0) + 1);
      assert.ok(r.status < 500, `a ${r.status}: ${JSON.stringify(r.body)}`);
      assert.ok([201, 409, 422].includes(r.status), `unexpected ${r.status} ${JSON.stringify(r.body)}`);
      if (r.status === 409) assert.equal(r.body.error?.code, 'IDEMPOTENCY_KEY_IN_USE');
      if (r.status === 422) assert.equal(r.body.error?.code, 'INSUFFICIENT_BALANCE');
    }
    process.stdout.write(`# outcomes: ${JSON.stringify(Object.fromEntries(byCode))}\n`);
    assert.ok((byCode.get('201') ?? 0) > 100, 'most operations succeed');
    assert.ok((byCode.get('INSUFFICIENT_BALANCE') ?? 0) > 0, 'the balance guard was exercised');

    // every success for one key is the same movement, and the tables hold exactly the movements clients saw
    const idsByKey = new Map<string, Set<string>>();
    for (const r of results) if (r.status === 201 && r.body.id) idsByKey.set(r.op.idempotencyKey, (idsByKey.get(r.op.idempotencyKey) ?? new Set()).add(r.body.id));
    for (const [key, ids] of idsByKey) assert.equal(ids.size, 1, `key ${key} produced ${ids.size} movements`);
    const counts = await assertAtMostOneMovementPerKey(ctx.services.db, ops);
    assert.ok(counts.conversions > 0, 'FX conversions ran in the mix (issue 11)');
    const after = await checkLedgerInvariants(ctx.services.db, 'sandbox');
    assert.deepEqual(after.perCurrencyTotal, before.perCurrencyTotal);
  });

  it('opposite transfers between the same two accounts at once never deadlock, and racing payout answers apply once', async () => {
    const p = platforms[0] as LoadPlatform;
    const [a, b] = p.accounts as [string, string];
    const ops = Array.from({ length: 120 }, (_, i) => ({
      body: { source_account_id: i % 2 ? a : b, destination_account_id: i % 2 ? b : a, currency: 'AUD', amount: '0.01' },
    }));
    const results = await inParallel(ops, 40, (op) => ctx.call('POST', '/api/v1/transfers', { key: p.key, body: op.body }));
    for (const r of results) assert.ok(r.status === 201 || r.body.error.code === 'INSUFFICIENT_BALANCE', r.raw);

    const payouts: string[] = [];
    // the first test's load may have spent this account's AUD (transfers, payouts, conversions): top it up for ten 0.50 payouts
    const topUp = await ctx.call('POST', '/api/v1/transfers', { key: p.key, body: { destination_account_id: p.accounts[2], currency: 'AUD', amount: '5.00' } });
    assert.equal(topUp.status, 201, topUp.raw);
    for (let i = 0; i < 10; i++) {
      const created = await ctx.call('POST', '/api/v1/payouts', {
        key: p.key,
        onBehalfOf: p.accounts[2],
        body: { currency: 'AUD', amount: '0.50', destination_type: 'bank_account', destination: { bsb: '062000', account_number: '1234567', account_name: 'X' } },
      });
      assert.equal(created.status, 201, created.raw);
      payouts.push(created.body.id);
    }
    const answers = await Promise.all(
      payouts.flatMap((id) => [
        ctx.call('POST', `/api/v1/sandbox/payouts/${id}/simulate`, { key: p.key, body: { status: 'completed' } }),
        second.app.inject({ method: 'POST', url: `/api/v1/sandbox/payouts/${id}/simulate`, headers: { authorization: `Bearer ${p.key}` }, payload: { status: 'failed', failure_reason: 'race' } }).then((r) => ({ status: r.statusCode, body: JSON.parse(r.body) })),
      ]),
    );
    for (let i = 0; i < payouts.length; i++) {
      const pair = [answers[2 * i], answers[2 * i + 1]].map((r) => r?.status).sort();
      assert.deepEqual(pair, [200, 409], 'exactly one answer applies');
    }
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });
});

describeOrSkip(needsPostgres, 'a wallet that has never held the currency (PostgreSQL)', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startTestApp();
  });
  after(() => ctx?.close());

  it('50 simultaneous first transfers into it: every one 201, none a deadlock 500, and the ledger balances', async () => {
    const platform = await createTestPlatform(ctx);
    // Destinations created before the source sort before it: the order in which a lock taken on the source and then
    // on a destination's new row breaks the fixed order (ledger account, currency), as in the report.
    const destinations = [];
    for (let i = 0; i < 3; i++) destinations.push(await createTestConnectedAccount(ctx, platform));
    const source = await createTestConnectedAccount(ctx, platform);
    const funded = await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { destination_account_id: source, currency: 'AUD', amount: '100.00' } });
    assert.equal(funded.status, 201, funded.raw);
    for (const [round, destination] of destinations.entries()) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          ctx.call('POST', '/api/v1/transfers', {
            key: platform.keys.sandbox,
            headers: { 'idempotency-key': `first-${round}-${i}` },
            body: { source_account_id: source, destination_account_id: destination, currency: 'AUD', amount: '0.10' },
          }),
        ),
      );
      const statuses = answers.map((a) => (a.status === 201 ? 201 : `${a.status} ${a.body?.error?.code} ${a.body?.error?.message}`));
      assert.deepEqual([...new Set(statuses)], [201], `round ${round}: ${JSON.stringify(statuses.filter((s) => s !== 201).slice(0, 3))}`);
      const balances = await ctx.call('GET', `/api/v1/accounts/${destination}/wallet/balances`, { key: platform.keys.sandbox });
      assert.equal(balances.body.data.find((b: { currency: string }) => b.currency === 'AUD').available, '5.00');
    }
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });
});
