// What the dashboard shows of a platform's accounts: search by email, reference_id or id, and one account's details.
import type { Environment } from '../../lib/environments.ts';
import type { AccountRow } from '../../db/schema.ts';
import { isId } from '../../lib/ids.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../../lib/errors.ts';
import { decodeCursor, toPage, type Page } from '../paging.ts';

export interface PlatformViewer {
  platformId: string;
}

export interface AccountSearch {
  environment: Environment;
  /** An email (or its beginning), an exact reference_id, or an account id. */
  query?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

function likePrefix(text: string): string {
  return `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function searchAccounts(deps: Deps, viewer: PlatformViewer, search: AccountSearch): Promise<Page<AccountRow>> {
  const limit = Math.min(Math.max(search.limit ?? 25, 1), 100);
  const after = decodeCursor(search.cursor, 'account');
  const q = (search.query ?? '').trim().slice(0, 254);
  let query = deps.db
    .env(search.environment)
    .selectFrom('accounts')
    .selectAll()
    .where('platform_id', '=', viewer.platformId)
    .where('type', '=', 'connected');
  if (q) {
    query = query.where((eb) =>
      eb.or([
        eb('reference_id', '=', q),
        eb('email', 'like', likePrefix(q.toLowerCase())),
        ...(isId('account', q) ? [eb('id', '=', q)] : []),
      ]),
    );
  }
  if (after) query = query.where('id', '<', after);
  return toPage(await query.orderBy('id', 'desc').limit(limit + 1).execute(), limit);
}

/** One of the platform's accounts (connected, or the platform's own) in that environment; anything else is not found. */
export async function getPlatformAccount(deps: Deps, viewer: PlatformViewer, environment: Environment, accountId: string): Promise<AccountRow> {
  if (!isId('account', accountId)) throw new ApiError('ACCOUNT_NOT_FOUND');
  const row = await deps.db
    .env(environment)
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', accountId)
    .where('platform_id', '=', viewer.platformId)
    .executeTakeFirst();
  if (!row) throw new ApiError('ACCOUNT_NOT_FOUND');
  return row;
}
