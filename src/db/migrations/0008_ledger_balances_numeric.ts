// Running balances become numeric(38,0): still integer minor units, but wide enough for any sum of movements. One
// movement is bounded (lib/money.ts: 10^9 units, 10^15 minor units of a 6-decimal currency), so entries and history
// rows stay bigint; a balance row adds movements up forever, and a clearing account adds up every movement of its
// environment and currency across all platforms. As bigint, about 9,223 maximum deposits carried inbound clearing
// past 9.2e18 and then every deposit of that currency in the environment failed ("bigint out of range").
import { sql, type Kysely } from 'kysely';
import { environments } from '../../lib/environments.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const schema of environments) {
    await sql`
      alter table ${sql.id(schema)}.ledger_balances
        alter column available type numeric(38, 0),
        alter column pending type numeric(38, 0)
    `.execute(db);
  }
}
