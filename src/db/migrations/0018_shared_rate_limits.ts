// The rate limits' and failed authentications' counters, shared by every server process on PostgreSQL (without Redis):
// one row per counter and window, the columns rate-limiter-flexible's PostgreSQL store uses (src/db/shared-counters.ts).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Unlogged: no WAL for a row written on every reservation. After a crash of the database server (or on a promoted
    -- standby, which never receives unlogged rows) the table is empty, and each window's limits start again once.
    -- key: "<namespace>:<key id>:<group>:<window start>" or "<namespace>:<address>:<window start>"; points: the window's
    -- count; expire: milliseconds since the epoch after which the row counts for nothing. A double, not the library's
    -- bigint: this server reads every int8 as a JavaScript BigInt (money), which the library cannot subtract a number
    -- from; a double holds these whole milliseconds exactly.
    create unlogged table core.rate_limit_counters (
      key varchar(255) primary key,
      points integer not null default 0,
      expire double precision
    );
    create index rate_limit_counters_expire on core.rate_limit_counters (expire);
  `.execute(db);
}
