// The data key a deployment seals identity data under, recorded in the database (src/db/sealed-columns.ts): a server
// process whose PIK_DATA_KEY cannot open what is recorded refuses to start, instead of starting and answering 500 on
// every read of data another process sealed. One row; its key id is a fingerprint, never the key.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table core.data_key_record (
      id boolean primary key default true check (id),
      key_id text not null,
      recorded_at timestamptz not null default now()
    )
  `.execute(db);
}
