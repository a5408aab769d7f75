// CHECK constraints whose allowed values come from a catalogue (the currency columns). migrate() brings them in line
// after the numbered migrations, so adding a currency to lib/currencies.ts needs no migration of its own.
import { sql } from 'kysely';
import { currencies, currenciesOn } from '../lib/currencies.ts';
import { environments } from '../lib/environments.ts';
import type { Database } from './database.ts';

export interface CatalogueCheck {
  /** A table of every environment schema. */
  table: string;
  column: string;
  /** The name PostgreSQL gave the column's inline CHECK in the migration that created it, so the first sync adopts it. */
  constraint: string;
  values: () => readonly string[];
}

export const catalogueChecks: readonly CatalogueCheck[] = [
  // Every movement posts to balances in its currency, so this one CHECK keeps every ledger table to the catalogue.
  { table: 'ledger_balances', column: 'currency', constraint: 'ledger_balances_currency_check', values: () => currencies },
  { table: 'receiving_addresses', column: 'currency', constraint: 'receiving_addresses_currency_check', values: () => currenciesOn('solana') },
];

// Any constant: it only has to differ from other advisory locks PIK takes (none today).
const syncLockKey = 7_203_114_001;

/** The values a `column in (…)` CHECK allows, read back from PostgreSQL's own rendering of it. */
export function valuesOfCheck(definition: string): string[] {
  return [...definition.matchAll(/'((?:[^']|'')*)'/g)].map((m) => (m[1] ?? '').replaceAll("''", "'"));
}

const sameValues = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

/**
 * What nearly every start finds: each CHECK already allows exactly its catalogue's values. One read, without the
 * transaction and the advisory lock that changing them takes.
 */
async function allInLine(database: Database, checks: readonly CatalogueCheck[]): Promise<boolean> {
  const { rows } = await sql<{ schema: string; table: string; name: string; definition: string }>`
    select n.nspname as schema, t.relname as table, c.conname as name, pg_get_constraintdef(c.oid) as definition
    from pg_class t
    join pg_namespace n on n.oid = t.relnamespace
    join pg_constraint c on c.conrelid = t.oid
    where n.nspname in (${sql.join([...environments])}) and t.relkind = 'r'
      and c.conname in (${sql.join(checks.map((check) => check.constraint))})
  `.execute(database.core);
  return environments.every((schema) =>
    checks.every((check) => {
      const found = rows.find((row) => row.schema === schema && row.table === check.table && row.name === check.constraint);
      return found !== undefined && sameValues(valuesOfCheck(found.definition), check.values());
    }),
  );
}

/**
 * Re-creates each catalogue CHECK whose values differ from the catalogue's, in one transaction under an advisory lock
 * (several processes start at once). Unchanged constraints are left alone: re-adding one scans its table. Narrowing
 * fails, and with it the start, while rows still hold a value the catalogue dropped.
 */
export async function syncCatalogueChecks(database: Database, checks: readonly CatalogueCheck[] = catalogueChecks): Promise<string[]> {
  if (await allInLine(database, checks)) return [];
  return database.core.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${syncLockKey})`.execute(trx);
    const changed: string[] = [];
    for (const schema of environments) {
      for (const check of checks) {
        const { rows } = await sql<{ definition: string | null }>`
          select pg_get_constraintdef(c.oid) as definition
          from pg_class t
          join pg_namespace n on n.oid = t.relnamespace
          left join pg_constraint c on c.conrelid = t.oid and c.conname = ${check.constraint}
          where n.nspname = ${schema} and t.relname = ${check.table} and t.relkind = 'r'
        `.execute(trx);
        const found = rows[0];
        if (!found) throw new Error(`Catalogue check on ${schema}.${check.table}: the table does not exist (remove it from src/db/catalogue-checks.ts if a migration dropped it).`);
        const wanted = check.values();
        if (found.definition !== null && sameValues(valuesOfCheck(found.definition), wanted)) continue;
        const name = `${schema}.${check.table}.${check.column}`;
        // `in ()` is not SQL: a catalogue with no such value left allows none.
        const condition = wanted.length > 0 ? sql`${sql.ref(check.column)} in (${sql.join(wanted.map((v) => sql.lit(v)))})` : sql`false`;
        try {
          await sql`
            alter table ${sql.table(`${schema}.${check.table}`)}
              drop constraint if exists ${sql.id(check.constraint)},
              add constraint ${sql.id(check.constraint)} check (${condition})
          `.execute(trx);
        } catch (error) {
          if ((error as { code?: string }).code !== '23514') throw error;
          throw new Error(`Could not make ${name} allow only ${wanted.join(', ') || 'nothing'}: rows still hold a value the catalogue no longer has.`, { cause: error });
        }
        changed.push(name);
      }
    }
    return changed;
  });
}
