// Metadata (a client's own key–value strings) on accounts, transfers, payouts and webhook endpoints, and the indexes
// that let GET /transfers list one account's transfers without scanning the platform's.
import { sql, type Kysely } from 'kysely';
import { environments } from '../../lib/environments.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const schema of environments) {
    const s = sql.id(schema);
    await sql`
      -- null: none given. Shape and sizes are checked by src/lib/metadata.ts before a write.
      alter table ${s}.accounts add column metadata jsonb;
      alter table ${s}.transfers add column metadata jsonb;
      alter table ${s}.payouts add column metadata jsonb;
      alter table ${s}.webhook_endpoints add column metadata jsonb;
      create index transfers_source on ${s}.transfers (source_account_id, id);
      create index transfers_destination on ${s}.transfers (destination_account_id, id);
    `.execute(db);
  }
}
