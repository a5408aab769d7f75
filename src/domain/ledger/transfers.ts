// Transfers between a platform and its connected accounts, or between its connected accounts: one atomic step; and
// reading them back (a platform sees all of its own, a connected account only those it sent or received).
import type { TransferRow } from '../../db/schema.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { newId } from '../../lib/ids.ts';
import type { Currency } from '../../lib/currencies.ts';
import { formatMinor, parseAmount, parseCurrency } from '../../lib/money.ts';
import { assertPlatformScope, resolvePathAccount } from '../accounts/accounts.ts';
import type { Scope } from '../../lib/actor.ts';
import type { Deps } from '../deps.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { parseMetadata } from '../../lib/metadata.ts';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.ts';
import { recordEvent } from '../events.ts';
import { decideTransfer } from './decisions.ts';
import { insertTransactions, postMovement } from './ledger.ts';
import { statementsFor } from '../../db/statements.ts';
import { claimReference, parseReference } from './references.ts';

export interface CreateTransferInput {
  sourceAccountId?: string | undefined;
  destinationAccountId: string;
  currency: unknown;
  amount: unknown;
  reference?: string | undefined;
  metadata?: unknown;
}

export async function createTransfer(deps: Deps, work: UnitOfWork, scope: Scope, input: CreateTransferInput): Promise<TransferRow> {
  assertPlatformScope(scope);
  const currency: Currency = parseCurrency(input.currency);
  const amount = parseAmount(input.amount, currency);
  const reference = parseReference(input.reference);
  const metadata = parseMetadata(input.metadata);
  const sourceAccountId = input.sourceAccountId ?? scope.platformId;
  const destinationAccountId = input.destinationAccountId;
  if (sourceAccountId === destinationAccountId) throw invalidField('destination_account_id', 'destination_account_id must differ from the source account.');

  // Both ends must be this platform's accounts in this environment; anything else is "not found", whoever owns it.
  // The account directory answers from memory when it can: an account's platform never changes.
  for (const [field, accountId] of [['source_account_id', sourceAccountId], ['destination_account_id', destinationAccountId]] as const) {
    const account = await deps.directory.get(scope.environment, accountId);
    if (account?.platform_id !== scope.platformId) throw new ApiError('ACCOUNT_NOT_FOUND', undefined, { field, account_id: accountId });
  }

  // Everything below is queued on the unit of work and reaches the database as one statement (UnitOfWork.write).
  const id = newId('transfer');
  const now = deps.now();
  claimReference(work, scope.environment, sourceAccountId, reference, id, now);
  postMovement(work, scope.environment, id, decideTransfer({ sourceAccountId, destinationAccountId, currency, amount }), now);
  insertTransactions(
    work,
    scope.environment,
    [
      { platformId: scope.platformId, accountId: sourceAccountId, movementId: id, type: 'transfer_out', currency, amount: -amount, status: 'settled', reference, counterparty: { type: 'account', account_id: destinationAccountId } },
      { platformId: scope.platformId, accountId: destinationAccountId, movementId: id, type: 'transfer_in', currency, amount, status: 'settled', reference, counterparty: { type: 'account', account_id: sourceAccountId } },
    ],
    now,
  );
  const row: TransferRow = { id, platform_id: scope.platformId, source_account_id: sourceAccountId, destination_account_id: destinationAccountId, currency, amount, reference, metadata, created_at: now };
  work.write({ statement: statementsFor(scope.environment).insertInto('transfers').values({ ...row, metadata: metadata === null ? null : JSON.stringify(metadata) }) });
  await recordEvent(work, scope.environment, {
    platformId: scope.platformId,
    accountId: sourceAccountId,
    type: 'transfer.completed',
    data: { id, source_account_id: sourceAccountId, destination_account_id: destinationAccountId, currency, amount: formatMinor(amount, currency), reference },
  });
  return row;
}

/**
 * One transfer, as payouts are read: the platform scope sees every transfer of the platform; x-on-behalf-of only a
 * transfer that account sent or received. Anything else is "not found", whoever owns it.
 */
export async function getTransfer(deps: Deps, scope: Scope, transferId: string): Promise<TransferRow> {
  let query = deps.db.env(scope.environment).selectFrom('transfers').selectAll().where('id', '=', transferId).where('platform_id', '=', scope.platformId);
  if (!scope.isPlatformScope) {
    const accountId = scope.accountId;
    query = query.where((eb) => eb.or([eb('source_account_id', '=', accountId), eb('destination_account_id', '=', accountId)]));
  }
  const row = await query.executeTakeFirst();
  if (!row) throw new ApiError('TRANSFER_NOT_FOUND', undefined, { transfer_id: transferId });
  return row;
}

export interface ListTransfersFilter {
  /** Transfers this account sent or received; named as a path account is (resolvePathAccount's rules). */
  accountId?: string | undefined;
  currency?: string | undefined;
}

/** Transfers newest first: the platform's, or with x-on-behalf-of that account's; optionally one account's, one currency's. */
export async function listTransfers(deps: Deps, scope: Scope, page: PageRequest, filter: ListTransfersFilter = {}): Promise<Page<TransferRow>> {
  const after = decodeCursor(page.cursor, 'transfer');
  const currency = filter.currency === undefined ? undefined : parseCurrency(filter.currency);
  // The platform scope may narrow to any of its accounts; a connected scope is already narrowed to its own.
  const accountId = filter.accountId === undefined ? (scope.isPlatformScope ? undefined : scope.accountId) : (await resolvePathAccount(deps, scope, filter.accountId)).id;
  let query = deps.db.env(scope.environment).selectFrom('transfers').selectAll().where('platform_id', '=', scope.platformId);
  if (accountId !== undefined) query = query.where((eb) => eb.or([eb('source_account_id', '=', accountId), eb('destination_account_id', '=', accountId)]));
  if (currency) query = query.where('currency', '=', currency);
  if (after) query = query.where('id', '<', after);
  return toPage(await query.orderBy('id', 'desc').limit(page.limit + 1).execute(), page.limit);
}
