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
import { statementsFor } from '../../db/statements.ts';
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
  const row: TransferRow = { id, platform_id: scope.platformId, source_account_id: sourceAccountId, destination_account_id: destinationAccountId, currency, amount, reference, created_at: now };
  work.write({ statement: statementsFor(scope.environment).insertInto('transfers').values(row) });
  await recordEvent(work, scope.environment, {
    platformId: scope.platformId,
    accountId: sourceAccountId,
    type: 'transfer.completed',
    data: { id, source_account_id: sourceAccountId, destination_account_id: destinationAccountId, currency, amount: formatMinor(amount, currency), reference },
  });
  return row;
}
