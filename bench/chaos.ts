// npm run bench:chaos — the database stopped under load (issue 17). A throwaway PostgreSQL cluster, the server as a
// child process on it, 20 clients doing transfers and payouts, each retrying its operation with the same
// Idempotency-Key until it has a final answer; mid-run the database is stopped (pg_ctl stop -m fast) for 10 s and
// started again. Prints: the server's exit code after a final SIGTERM (goal 0), the count of 500s (goal 0: 503s only),
// the time from the database being ready to the first success (goal < 1 s), the operations still blocked 5 s after
// recovery (goal 0), and the ledger invariants (stored balances = sum of entries, nothing applied twice per key).
//
//   BENCH_SECONDS (load before the outage, default 8)  BENCH_OUTAGE_SECONDS (default 10)  BENCH_AFTER_SECONDS (default 10)
//   BENCH_CLIENTS (default 20)  BENCH_RETRY_MS (a client's pause after a 503 or 409, default 100)
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { openPostgres } from '../src/db/database.ts';
import { callJsonOk } from '../test/support/http-client.ts';
import { checkLedgerInvariants, bankDestination } from '../test/support/ledger.ts';
import { startServerProcess } from '../test/support/server-process.ts';
import { createThrowawayPostgres, needsThrowawayPostgres } from '../test/support/throwaway-postgres.ts';

const operatorToken = `pikop_bench_${'c'.repeat(30)}`;
const dataKey = randomBytes(32).toString('base64');
const beforeSeconds = Number(process.env.BENCH_SECONDS ?? 8);
const outageSeconds = Number(process.env.BENCH_OUTAGE_SECONDS ?? 10);
const afterSeconds = Number(process.env.BENCH_AFTER_SECONDS ?? 10);
const clientCount = Number(process.env.BENCH_CLIENTS ?? 20);
const retryMs = Number(process.env.BENCH_RETRY_MS ?? 100);
const accountsPerPlatform = 5;

interface Answer {
  at: number;
  status: number;
  code: string | undefined;
  applied: boolean;
}

interface Operation {
  key: string;
  path: string;
  apiKey: string;
  onBehalfOf?: string;
  body: Record<string, unknown>;
  kind: 'transfer' | 'payout';
  /** Unique per operation, so a second movement for one key shows in the tables. */
  minor: number;
  answers: Answer[];
}

const cents = (minor: number): string => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;

async function main(): Promise<void> {
  if (needsThrowawayPostgres) {
    console.log(`bench:chaos skipped — ${needsThrowawayPostgres}`);
    return;
  }
  const cluster = await createThrowawayPostgres();
  await cluster.start();
  let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;
  try {
    server = await startServerProcess(
      { DATABASE_URL: cluster.url, PIK_DATA_KEY: dataKey, PIK_OPERATOR_TOKEN: operatorToken, PIK_RATE_LIMIT: 'off', LOG_LEVEL: 'error', PIK_SANDBOX_SETTLE_MS: '100' },
      180_000,
    );
    const base = server.url;

    // Two platforms, five approved connected accounts each with 500.00 AUD.
    const db = await openPostgres(cluster.url, 2);
    const platforms: { id: string; key: string; accounts: string[] }[] = [];
    for (let p = 0; p < 2; p++) {
      const platform = await callJsonOk(base, 'POST', '/admin/v1/platforms', operatorToken, { name: `Chaos ${p}`, owner_email: `chaos-${p}@example.test` });
      const key = (await callJsonOk(base, 'POST', `/admin/v1/platforms/${platform.id}/keys`, operatorToken, { environment: 'sandbox' })).secret as string;
      const accounts: string[] = [];
      for (let a = 0; a < accountsPerPlatform; a++) {
        const account = (await callJsonOk(base, 'POST', '/api/v1/accounts', key, { customer_type: 'individual', email: `c${p}-${a}@example.test`, country: 'AU' })).id as string;
        await sql`update sandbox.accounts set verification_status = 'approved', capabilities = ${['inbound_payments', 'payouts', 'fx_conversion']} where id = ${account}`.execute(db.core);
        await sql`select pg_notify('pik_invalidate', ${JSON.stringify({ kind: 'account', environment: 'sandbox', accountId: account })})`.execute(db.core);
        await callJsonOk(base, 'POST', '/api/v1/transfers', key, { destination_account_id: account, currency: 'AUD', amount: '500.00' });
        accounts.push(account);
      }
      platforms.push({ id: platform.id as string, key, accounts });
    }
    await db.close();

    let next = 0;
    const makeOperation = (): Operation => {
      const i = next++;
      const p = platforms[i % platforms.length] as (typeof platforms)[number];
      const minor = 100 + i; // unique per operation
      const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)] as T;
      if (Math.random() < 0.25) {
        return { key: `chaos-${i}`, path: '/api/v1/payouts', apiKey: p.key, onBehalfOf: pick(p.accounts), body: { currency: 'AUD', amount: cents(minor), destination_type: 'bank_account', destination: bankDestination }, kind: 'payout', minor, answers: [] };
      }
      const everyone = [p.id, ...p.accounts];
      const from = pick(everyone);
      const to = pick(everyone.filter((x) => x !== from));
      return { key: `chaos-${i}`, path: '/api/v1/transfers', apiKey: p.key, body: { source_account_id: from, destination_account_id: to, currency: 'AUD', amount: cents(minor) }, kind: 'transfer', minor, answers: [] };
    };

    const operations: Operation[] = [];
    let stopping = false;
    const send = async (op: Operation): Promise<Answer> => {
      const headers: Record<string, string> = { authorization: `Bearer ${op.apiKey}`, 'content-type': 'application/json', 'idempotency-key': op.key };
      if (op.onBehalfOf) headers['x-on-behalf-of'] = op.onBehalfOf;
      try {
        const response = await fetch(`${base}${op.path}`, { method: 'POST', headers, body: JSON.stringify(op.body) });
        const body = (await response.json()) as { error?: { code: string; detail?: { applied?: boolean } } };
        return { at: Date.now(), status: response.status, code: body.error?.code, applied: body.error?.detail?.applied === true };
      } catch (error) {
        return { at: Date.now(), status: 0, code: String(error), applied: false };
      }
    };
    /** Final: a success, a business refusal, or a key reported applied; a 503, a 409 in use, no answer: retry the same key. */
    const isFinal = (a: Answer): boolean => (a.status >= 200 && a.status < 300) || (a.status >= 400 && a.status < 500 && (a.code !== 'IDEMPOTENCY_KEY_IN_USE' || a.applied));
    const client = async (): Promise<void> => {
      while (!stopping) {
        const op = makeOperation();
        operations.push(op);
        for (let attempt = 0; ; attempt++) {
          const answer = await send(op);
          op.answers.push(answer);
          if (isFinal(answer)) break;
          if (attempt > 2000) break; // something is badly wrong; counted as unfinished below
          await sleep(retryMs);
        }
      }
    };

    const started = Date.now();
    console.log(`bench:chaos — ${clientCount} clients, transfers and payouts (1 in 4), retrying with their Idempotency-Keys every ${retryMs} ms after a 503/409`);
    const clients = Array.from({ length: clientCount }, () => client());
    await sleep(beforeSeconds * 1000);
    const stoppedAt = Date.now();
    await cluster.stop('fast');
    console.log(`  ${((stoppedAt - started) / 1000).toFixed(1)} s: database stopped (pg_ctl stop -m fast)`);
    await sleep(outageSeconds * 1000);
    await cluster.start();
    const readyAt = Date.now(); // pg_ctl start -w returns once the server accepts connections
    console.log(`  ${((readyAt - started) / 1000).toFixed(1)} s: database ready again`);
    await sleep(afterSeconds * 1000);
    stopping = true;
    await Promise.all(clients);

    const signalledAt = Date.now();
    const exitCode = await server.stop('SIGTERM');
    const exitMs = Date.now() - signalledAt;
    const serverOutput = server.output();
    server = undefined;

    // Figures.
    const answers = operations.flatMap((op) => op.answers);
    const count = (predicate: (a: Answer) => boolean): number => answers.filter(predicate).length;
    const fivexx = count((a) => a.status >= 500 && a.status !== 503);
    const unavailable = count((a) => a.status === 503);
    const noAnswer = count((a) => a.status === 0);
    const firstSuccess = answers.filter((a) => a.at >= readyAt && a.status >= 200 && a.status < 300).reduce((min, a) => Math.min(min, a.at), Infinity);
    const blockedKeys = new Set(operations.filter((op) => op.answers.some((a) => a.at >= readyAt + 5000 && a.code === 'IDEMPOTENCY_KEY_IN_USE' && !a.applied)).map((op) => op.key));
    const inUseAfterRecovery = operations.filter((op) => op.answers.some((a) => a.at >= readyAt && a.code === 'IDEMPOTENCY_KEY_IN_USE' && !a.applied)).length;
    const lastInUse = answers.filter((a) => a.at >= readyAt && a.code === 'IDEMPOTENCY_KEY_IN_USE' && !a.applied).reduce((max, a) => Math.max(max, a.at), -Infinity);
    const unfinished = operations.filter((op) => !isFinal(op.answers.at(-1) as Answer)).length;
    const succeeded = operations.filter((op) => {
      const last = op.answers.at(-1) as Answer;
      return (last.status >= 200 && last.status < 300) || last.applied;
    });

    // Ledger: invariants, and at most one movement per key (each amount is one operation's).
    const check = await openPostgres(cluster.url, 2);
    let invariants = 'hold';
    try {
      await checkLedgerInvariants(check, 'sandbox');
    } catch (error) {
      invariants = `BROKEN: ${error instanceof Error ? error.message : String(error)}`;
    }
    const minors = operations.map((op) => String(op.minor));
    const duplicates = await sql<{ n: number }>`
      select count(*)::int as n from (
        select amount from sandbox.transfers where amount::text = any(${minors}) group by amount having count(*) > 1
        union all
        select amount from sandbox.payouts where amount::text = any(${minors}) group by amount having count(*) > 1) d`.execute(check.core);
    const applied = await sql<{ n: number }>`
      select ((select count(*) from sandbox.transfers where amount::text = any(${minors})) + (select count(*) from sandbox.payouts where amount::text = any(${minors})))::int as n`.execute(check.core);
    await check.close();

    const rows: [string, string, string, boolean][] = [
      ['server exit code after SIGTERM', `${exitCode} (in ${exitMs} ms)`, '0', exitCode === 0],
      ['500s (any 5xx but 503)', String(fivexx), '0', fivexx === 0],
      ['503 SERVICE_UNAVAILABLE answers', String(unavailable), '—', true],
      ['no answer at all (connection refused/reset)', String(noAnswer), '0', noAnswer === 0],
      ['database ready → first success', Number.isFinite(firstSuccess) ? `${firstSuccess - readyAt} ms` : 'none', '< 1000 ms', Number.isFinite(firstSuccess) && firstSuccess - readyAt < 1000],
      ['keys answered 409 IN_USE after recovery', `${inUseAfterRecovery}${Number.isFinite(lastInUse) ? ` (the last ${lastInUse - readyAt} ms after)` : ''}`, '—', true],
      ['operations still blocked 5 s after recovery', String(blockedKeys.size), '0', blockedKeys.size === 0],
      ['operations without a final answer', String(unfinished), '0', unfinished === 0],
      ['ledger invariants (balances = entries, zero-sum)', invariants, 'hold', invariants === 'hold'],
      ['keys applied twice', String(duplicates.rows[0]?.n), '0', duplicates.rows[0]?.n === 0],
      ['movements = operations answered 2xx/applied', `${applied.rows[0]?.n} = ${succeeded.length}`, 'equal', applied.rows[0]?.n === succeeded.length],
    ];
    console.log(`  ${operations.length} operations, ${answers.length} answers in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log('');
    console.log('| measure | figure | goal | met |');
    console.log('|---|---|---|---|');
    for (const [measure, figure, goal, met] of rows) console.log(`| ${measure} | ${figure} | ${goal} | ${met ? 'yes' : 'NO'} |`);
    if (/Unhandled|uncaught/i.test(serverOutput)) console.log(`\nthe server wrote an unhandled error:\n${serverOutput.slice(-2000)}`);
    process.exitCode = rows.every((r) => r[3]) ? 0 : 1;
  } finally {
    await server?.stop('SIGKILL');
    await cluster.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
