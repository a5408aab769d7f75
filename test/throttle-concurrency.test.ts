// The sign-in throttle under simultaneous attempts: each attempt is counted before its password is verified, so a
// burst cannot all pass the check at once — on sign-in and on every password re-prompt.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { openPglite } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import type { Deps } from '../src/domain/deps.ts';
import { maxFailuresPerAccount, maxFailuresPerIp, verifyPasswordThrottled } from '../src/domain/users/login-throttle.ts';
import { hashPassword } from '../src/lib/passwords.ts';
import { startTestApp, type TestContext } from './support/context.ts';
import { createDashboardPlatform, dashboardClient, testPassword, type PageResult } from './support/dashboard.ts';

let ctx: TestContext;

before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

function countStatuses(results: readonly PageResult[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

function assertStatuses(results: readonly PageResult[], expected: Record<number, number>): void {
  const counts = countStatuses(results);
  assert.deepEqual(counts, expected, `answers by status: ${JSON.stringify(counts)}, expected ${JSON.stringify(expected)}`);
}

describe('sign-in throttle under simultaneous attempts', () => {
  it('25 wrong passwords for one email at once: exactly 5 are checked, 20 are throttled', async () => {
    const platform = await createDashboardPlatform(ctx);
    const client = dashboardClient(ctx, '10.20.0.1');
    await client.get('/dashboard/sign-in'); // one CSRF token for the whole burst
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => client.post('/dashboard/sign-in', { email: platform.email, password: `wrong password ${i}` })),
    );
    assertStatuses(results, { 401: maxFailuresPerAccount, 429: 25 - maxFailuresPerAccount });
    // The account is now locked: the right password is refused too.
    assert.equal((await dashboardClient(ctx, '10.20.0.2').signIn(platform.email, testPassword)).status, 429);
  });

  it('24 wrong passwords and the right one at once: the right one gets in only as one of the first 5 checked', async () => {
    const platform = await createDashboardPlatform(ctx);
    const client = dashboardClient(ctx, '10.21.0.1');
    await client.get('/dashboard/sign-in');
    const wrong = Array.from({ length: 24 }, (_, i) => client.post('/dashboard/sign-in', { email: platform.email, password: `wrong password ${i}` }));
    const right = client.post('/dashboard/sign-in', { email: platform.email, password: testPassword });
    const results = [...(await Promise.all(wrong)), await right];
    const counts = countStatuses(results);
    if ((await right).status === 429) {
      // Throttled: it arrived after 5 others were counted, and nothing forgave them.
      assertStatuses(results, { 401: maxFailuresPerAccount, 429: 25 - maxFailuresPerAccount });
    } else {
      // Signed in as one of the first 5 checked: that forgives the failures settled by then (k ≤ 4 of the other 4),
      // which frees k slots plus its own, so at most 4 + 1 + 4 wrong passwords are checked in all (not 24).
      assert.equal((await right).status, 303);
      assert.ok((counts[401] ?? 0) <= 2 * maxFailuresPerAccount - 1, `${counts[401]} wrong passwords were checked`);
    }
  });

  it('60 attempts on 60 emails from one IP at once: exactly 30 are checked, 30 are throttled', async () => {
    const client = dashboardClient(ctx, '10.22.0.1');
    await client.get('/dashboard/sign-in');
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => client.post('/dashboard/sign-in', { email: `spray-${i}@example.test`, password: 'Summer2026!!' })),
    );
    assertStatuses(results, { 401: maxFailuresPerIp, 429: 60 - maxFailuresPerIp });
    assert.ok(results.filter((r) => r.status === 429).every((r) => /from your network/.test(r.body)));
  });
});

describe('password re-prompt under simultaneous attempts', () => {
  it('25 production key generations with a wrong password at once: exactly 5 are checked, 20 are throttled', async () => {
    const platform = await createDashboardPlatform(ctx);
    const client = dashboardClient(ctx, '10.23.0.1');
    assert.equal((await client.signIn(platform.email, testPassword)).status, 303);
    const formIds: string[] = [];
    for (let i = 0; i < 25; i++) {
      const form = await client.get('/dashboard/settings/api-keys/production');
      formIds.push(/name="form_id" value="([^"]+)"/.exec(form.body)?.[1] ?? '');
    }
    const results = await Promise.all(
      formIds.map((formId, i) => client.post('/dashboard/settings/api-keys/production', { name: `Prod ${i}`, form_id: formId, password: `not my password ${i}` })),
    );
    assertStatuses(results, { 403: maxFailuresPerAccount, 429: 25 - maxFailuresPerAccount });
    const keys = await ctx.services.db.core.selectFrom('core.api_keys').select('id').where('platform_id', '=', platform.id).where('environment', '=', 'production').execute();
    assert.equal(keys.length, 0);
  });

  it('25 password changes with a wrong current password at once: exactly 5 are checked, 20 are throttled', async () => {
    const platform = await createDashboardPlatform(ctx);
    const client = dashboardClient(ctx, '10.24.0.1');
    assert.equal((await client.signIn(platform.email, testPassword)).status, 303);
    await client.get('/dashboard/settings/password');
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        client.post('/dashboard/settings/password', { current_password: `not it ${i}`, new_password: 'a brand new passphrase', confirm_password: 'a brand new passphrase' }),
      ),
    );
    assertStatuses(results, { 403: maxFailuresPerAccount, 429: 25 - maxFailuresPerAccount });
    // The account is locked now: the right password is refused at sign-in as well.
    assert.equal((await dashboardClient(ctx, '10.24.0.2').signIn(platform.email, testPassword)).status, 429);
  });

  it('a right password releases its attempt: more successful re-prompts than the limit are never throttled', async () => {
    const platform = await createDashboardPlatform(ctx);
    const client = dashboardClient(ctx, '10.25.0.1');
    assert.equal((await client.signIn(platform.email, testPassword)).status, 303);
    for (let i = 0; i < maxFailuresPerAccount + 2; i++) {
      const form = await client.get('/dashboard/settings/api-keys/production');
      const formId = /name="form_id" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
      const page = await client.post('/dashboard/settings/api-keys/production', { name: `Prod ${i}`, form_id: formId, password: testPassword });
      assert.equal(page.status, 201);
    }
  });
});

describe('every password check goes through the throttle', () => {
  it('only the throttle calls verifyPassword', () => {
    const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');
    const callers = (fs.readdirSync(srcDir, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .filter((f) => /\bverifyPassword\b/.test(fs.readFileSync(path.join(srcDir, f), 'utf8')))
      .map((f) => f.split(path.sep).join('/'))
      .sort();
    assert.deepEqual(callers, ['domain/users/login-throttle.ts', 'lib/passwords.ts']);
  });
});

describe('migration 0007', () => {
  it('carries the last 15 minutes of failures over into counters that the next attempts settle against', async () => {
    const db = await openPglite();
    try {
      await migrate(db, { through: '0005_request_log_segments' });
      const hash = (subject: string) => createHash('sha256').update(subject).digest('hex');
      const [locked, forgiven] = ['locked@example.test', 'forgiven@example.test'];
      // Times with microseconds (PostgreSQL's now() has them): the counters are compared with JavaScript dates, which
      // have only milliseconds.
      const failure = (subject: string) => sql`insert into core.login_failures (subject_hash, failed_at) values (${hash(subject)}, now() - interval '1.000456 seconds')`;
      for (let i = 0; i < maxFailuresPerAccount; i++) await failure(`email:${locked}`).execute(db.core);
      for (let i = 0; i < 3; i++) await failure(`email:${forgiven}`).execute(db.core);
      await sql`insert into core.login_failures (subject_hash, failed_at) values (${hash(`email:${forgiven}`)}, now() - interval '16 minutes')`.execute(db.core);

      await migrate(db);

      const deps = { db, now: () => new Date() } as unknown as Deps;
      const passwordHash = await hashPassword(testPassword);
      await assert.rejects(
        verifyPasswordThrottled(deps, { email: locked, ip: '10.30.0.1' }, testPassword, async () => passwordHash),
        (error: { code?: string }) => error.code === 'SIGN_IN_THROTTLED',
      );
      assert.equal(await verifyPasswordThrottled(deps, { email: forgiven, ip: '10.30.0.1' }, testPassword, async () => passwordHash), true);
      const rows = await db.core.selectFrom('core.login_attempts').select(['failures', 'in_flight']).where('subject_hash', '=', hash(`email:${forgiven}`)).execute();
      assert.deepEqual(rows, [{ failures: 0, in_flight: 0 }], 'the right password settled its attempt and forgave the carried failures');
      const table = await sql<{ name: string | null }>`select to_regclass('core.login_failures')::text as name`.execute(db.core);
      assert.equal(table.rows[0]?.name, null);
    } finally {
      await db.close();
    }
  });
});
