// Transfers between a platform and its connected accounts, or between its connected accounts: one atomic step.
import type { TransferRow } from '../../db/schema.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { newId } from '../../lib/ids.ts';
import type { Currency } from '../../lib/currencies.ts';
import { formatMinor, parseAmount, parseCurrency } from '../../lib/money.ts';
import { assertPlatformScope } from '../accounts/accounts.ts';
import type { Scope } from '../../lib/actor.ts';
import type { Deps } from '../deps.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { recordEvent } from '../events.ts';
import { decideTransfer } from './decisions.ts';
import { insertTransactions, postMovement } from './ledger.ts';
import { claimReference, parseReference } from './references.ts';

export interface CreateTransferInput {
  sourceAccountId?: string | undefined;
  destinationAccountId: string;
  currency: unknown;
  amount: unknown;
  reference?: string | undefined;
}

export async function createTransfer(deps: Deps, work: UnitOfWork, scope: Scope, input: CreateTransferInput): Promise<TransferRow> {
  assertPlatformScope(scope);
  const currency: Currency = parseCurrency(input.currency);
  const amount = parseAmount(input.amount, currency);
  const reference = parseReference(input.reference);
  const sourceAccountId = input.sourceAccountId ?? scope.platformId;
  const destinationAccountId = input.destinationAccountId;
  if (sourceAccountId === destinationAccountId) throw invalidField('destination_account_id', 'destination_account_id must differ from the source account.');

  const id = newId('transfer');
  const now = deps.now();
  const tx = await work.transaction();
  const db = tx.env(scope.environment);
  // Both ends must be this platform's accounts in this environment; anything else is "not found", whoever owns it.
  const owned = await db
    .selectFrom('accounts')
    .select('id')
    .where('id', 'in', [sourceAccountId, destinationAccountId])
    .where('platform_id', '=', scope.platformId)
    .execute();
  for (const [field, accountId] of [['source_account_id', sourceAccountId], ['destination_account_id', destinationAccountId]] as const) {
    if (!owned.some((r) => r.id === accountId)) throw new ApiError('ACCOUNT_NOT_FOUND', undefined, { field, account_id: accountId });
  }
  await claimReference(tx, scope.environment, sourceAccountId, reference, id, now);
  await postMovement(
    tx,
    scope.environment,
    id,
    (balances) => decideTransfer(balances, { sourceAccountId, destinationAccountId, currency, amount }),
    [
      { ledgerAccount: sourceAccountId, currency },
      { ledgerAccount: destinationAccountId, currency },
    ],
    now,
  );
  await insertTransactions(
    tx,
    scope.environment,
    [
      { platformId: scope.platformId, accountId: sourceAccountId, movementId: id, type: 'transfer_out', currency, amount: -amount, status: 'settled', reference, counterparty: { type: 'account', account_id: destinationAccountId } },
      { platformId: scope.platformId, accountId: destinationAccountId, movementId: id, type: 'transfer_in', currency, amount, status: 'settled', reference, counterparty: { type: 'account', account_id: sourceAccountId } },
    ],
    now,
  );
  const row = await db
    .insertInto('transfers')
    .values({ id, platform_id: scope.platformId, source_account_id: sourceAccountId, destination_account_id: destinationAccountId, currency, amount, reference, created_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordEvent(work, scope.environment, {
    platformId: scope.platformId,
    accountId: sourceAccountId,
    type: 'transfer.completed',
    data: { id, source_account_id: sourceAccountId, destination_account_id: destinationAccountId, currency, amount: formatMinor(amount, currency), reference },
  });
  return row;
}
