// The currency CHECK constraints follow lib/currencies.ts: migrate() re-creates them when the catalogue changes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { catalogueChecks, syncCatalogueChecks, valuesOfCheck, type CatalogueCheck } from '../src/db/catalogue-checks.ts';
import { migrate } from '../src/db/migrate.ts';
import { currencies, currenciesOn } from '../src/lib/currencies.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase();
});
after(() => database.drop());

async function checkOf(schema: string, table: string, constraint: string): Promise<{ oid: number; values: string[] } | undefined> {
  const { rows } = await sql<{ oid: number; definition: string }>`
    select c.oid::int as oid, pg_get_constraintdef(c.oid) as definition
    from pg_constraint c join pg_class t on t.oid = c.conrelid join pg_namespace n on n.oid = t.relnamespace
    where n.nspname = ${schema} and t.relname = ${table} and c.conname = ${constraint}
  `.execute(database.db.core);
  const row = rows[0];
  return row && { oid: row.oid, values: valuesOfCheck(row.definition) };
}

const insertBalance = (currency: string) =>
  sql`insert into sandbox.ledger_balances (ledger_account, currency, is_clearing) values (${`acct_check_${currency}`}, ${currency}, false)`.execute(database.db.core);

describe('catalogue CHECK constraints', () => {
  it('after migrate, each currency column allows exactly the catalogue values, in both environments', async () => {
    for (const schema of ['sandbox', 'production']) {
      assert.deepEqual((await checkOf(schema, 'ledger_balances', 'ledger_balances_currency_check'))?.values, [...currencies]);
      assert.deepEqual((await checkOf(schema, 'receiving_addresses', 'receiving_addresses_currency_check'))?.values, currenciesOn('solana'));
    }
    await assert.rejects(insertBalance('XXX'), /ledger_balances_currency_check/);
  });

  it('leaves unchanged constraints alone: a second migrate re-creates nothing', async () => {
    const before = await checkOf('sandbox', 'ledger_balances', 'ledger_balances_currency_check');
    await migrate(database.db);
    assert.deepEqual(await syncCatalogueChecks(database.db), []);
    assert.equal((await checkOf('sandbox', 'ledger_balances', 'ledger_balances_currency_check'))?.oid, before?.oid);
  });

  it('a currency added to the catalogue is allowed after the next start, without a migration; a stale constraint is repaired', async () => {
    const withExtra: CatalogueCheck[] = catalogueChecks.map((c) => (c.table === 'ledger_balances' ? { ...c, values: () => [...currencies, 'ZZZ'] } : c));
    assert.deepEqual(await syncCatalogueChecks(database.db, withExtra), ['sandbox.ledger_balances.currency', 'production.ledger_balances.currency']);
    await insertBalance('ZZZ');

    // Removing it again while a row holds it fails loudly, and changes nothing.
    await assert.rejects(syncCatalogueChecks(database.db), /Could not make sandbox\.ledger_balances\.currency allow only AUD, .*: rows still hold/);
    assert.ok((await checkOf('sandbox', 'ledger_balances', 'ledger_balances_currency_check'))?.values.includes('ZZZ'));
    await sql`delete from sandbox.ledger_balances where currency = 'ZZZ'`.execute(database.db.core);
    assert.deepEqual(await syncCatalogueChecks(database.db), ['sandbox.ledger_balances.currency', 'production.ledger_balances.currency']);
    assert.deepEqual((await checkOf('production', 'ledger_balances', 'ledger_balances_currency_check'))?.values, [...currencies]);
  });

  it('reads values back from how PostgreSQL renders a CHECK', () => {
    assert.deepEqual(valuesOfCheck("CHECK ((currency = ANY (ARRAY['AUD'::text, 'USDT'::text])))"), ['AUD', 'USDT']);
    assert.deepEqual(valuesOfCheck("CHECK ((x = 'it''s'::text))"), ["it's"]);
    assert.deepEqual(valuesOfCheck('CHECK (false)'), []);
  });
});
