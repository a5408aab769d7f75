// The API request log the dashboard shows per key and per connected account: metadata only — never a body,
// a header value other than a validated x-on-behalf-of account id, or a query string.
import type { Environment } from '../../config.ts';
import type { RequestLogRow } from '../../db/schema.ts';
import type { Deps } from '../deps.ts';

export interface RequestLogEntry {
  id: string;
  environment: Environment;
  platformId: string;
  keyId: string;
  /** The connected account the request acted on (x-on-behalf-of or the path), null for the platform itself. */
  accountId: string | null;
  onBehalfOf: string | null;
  method: string;
  path: string;
  status: number;
  errorCode: string | null;
  at: Date;
}

export const requestLogRetentionMs = 7 * 24 * 3600 * 1000;

/** One multi-row insert per environment for a whole batch; a retried batch does not duplicate rows. */
export async function writeRequestLog(deps: Deps, entries: readonly RequestLogEntry[]): Promise<void> {
  for (const environment of new Set(entries.map((e) => e.environment))) {
    const rows = entries
      .filter((e) => e.environment === environment)
      .map((e) => ({
        id: e.id,
        platform_id: e.platformId,
        key_id: e.keyId,
        account_id: e.accountId,
        on_behalf_of: e.onBehalfOf,
        method: e.method,
        path: e.path,
        status: e.status,
        error_code: e.errorCode,
        created_at: e.at,
      }));
    // 10 columns per row: 1000 rows stay well under PostgreSQL's 65535 parameters per statement.
    for (let i = 0; i < rows.length; i += 1000) {
      await deps.db
        .env(environment)
        .insertInto('request_log')
        .values(rows.slice(i, i + 1000))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
  }
}

export async function pruneRequestLog(deps: Deps, environments: readonly Environment[]): Promise<void> {
  const cutoff = new Date(deps.now().getTime() - requestLogRetentionMs);
  for (const environment of environments) {
    await deps.db.env(environment).deleteFrom('request_log').where('created_at', '<', cutoff).execute();
  }
}

export interface RequestLogQuery {
  platformId: string;
  environment: Environment;
  keyId?: string | undefined;
  accountId?: string | undefined;
  limit?: number | undefined;
}

/** The latest requests of one key or one connected account, always within the caller's platform. */
export async function listRequestLog(deps: Deps, query: RequestLogQuery): Promise<RequestLogRow[]> {
  let select = deps.db.env(query.environment).selectFrom('request_log').selectAll().where('platform_id', '=', query.platformId);
  if (query.keyId) select = select.where('key_id', '=', query.keyId);
  if (query.accountId) select = select.where('account_id', '=', query.accountId);
  return select
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(query.limit ?? 100, 1), 500))
    .execute();
}
