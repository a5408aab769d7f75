// The request log moves from one row per API request to one row per key per flush (a "segment" holding its
// requests as compressed JSON lines). A row per request cost the server more than authenticating the request: on
// the embedded database every insert runs on the server's own thread. Rows already logged are carried over,
// grouped by key and minute, so no history is lost.
import { gzipSync } from 'node:zlib';
import { sql, type Kysely } from 'kysely';
import { environments } from '../../lib/environments.ts';

interface OldRow {
  id: string;
  platform_id: string;
  key_id: string;
  account_id: string | null;
  on_behalf_of: string | null;
  method: string;
  path: string;
  status: number;
  error_code: string | null;
  created_at: Date;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const schema of environments) {
    const s = sql.id(schema);
    await sql`
      -- One key's requests over one flush interval of one server process. id is the newest request's id, so a
      -- retried write of the same segment is recognised (on conflict do nothing). entries: gzip of JSON lines, one
      -- array per request, oldest first: [request_id, epoch_ms, method, path, status, error_code, account_id,
      -- on_behalf_of]. Metadata only: never a body, a header value other than a validated x-on-behalf-of account
      -- id, or a query string. The server compresses it (off its main thread), so the database need not.
      create table ${s}.request_log_segments (
        id text primary key,
        platform_id text not null,
        key_id text not null,
        account_ids text[] not null,
        first_at timestamptz not null,
        last_at timestamptz not null,
        entry_count integer not null check (entry_count > 0),
        entries bytea not null
      );
      alter table ${s}.request_log_segments alter column entries set storage external;
      create index request_log_segments_key on ${s}.request_log_segments (key_id, last_at desc, id desc);
      create index request_log_segments_platform on ${s}.request_log_segments (platform_id, last_at desc, id desc);
      create index request_log_segments_accounts on ${s}.request_log_segments using gin (account_ids);
    `.execute(db);
    await carryOver(db, schema);
    await sql`drop table ${s}.request_log`.execute(db);
  }
}

/** Copies the old per-request rows into segments of one key and one minute, a page of rows at a time. */
async function carryOver(db: Kysely<unknown>, schema: string): Promise<void> {
  const s = sql.id(schema);
  let group: OldRow[] = [];
  const writeGroup = async (): Promise<void> => {
    if (group.length === 0) return;
    const first = group[0]!;
    const last = group.at(-1)!;
    const lines = group.map((r) => JSON.stringify([r.id, r.created_at.getTime(), r.method, r.path, r.status, r.error_code, r.account_id, r.on_behalf_of]));
    const accountIds = [...new Set(group.map((r) => r.account_id).filter((a): a is string => a !== null))];
    const entries = gzipSync(lines.join('\n')).toString('base64');
    await sql`
      insert into ${s}.request_log_segments (id, platform_id, key_id, account_ids, first_at, last_at, entry_count, entries)
      values (${last.id}, ${first.platform_id}, ${first.key_id}, ${accountIds}::text[], ${first.created_at}, ${last.created_at}, ${group.length}, decode(${entries}, 'base64'))
    `.execute(db);
    group = [];
  };
  const minute = (d: Date): number => Math.floor(d.getTime() / 60_000);
  let after: OldRow | undefined;
  for (;;) {
    const { rows } = await sql<OldRow>`
      select * from ${s}.request_log
      ${after ? sql`where (key_id, created_at, id) > (${after.key_id}, ${after.created_at}, ${after.id})` : sql``}
      order by key_id, created_at, id
      limit 5000
    `.execute(db);
    for (const row of rows) {
      const open = group[0];
      if (open && (open.key_id !== row.key_id || minute(open.created_at) !== minute(row.created_at))) await writeGroup();
      group.push(row);
    }
    if (rows.length < 5000) break;
    after = rows.at(-1);
  }
  await writeGroup();
}
