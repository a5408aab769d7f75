// Movement references: a reference names one transfer, payout or conversion from an account, or one deposit to it, forever.
import type { Environment } from '../../lib/environments.ts';
import type { Tx } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import { statementsFor } from '../../db/statements.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';

const referencePattern = /^[\x20-\x7e]{1,140}$/;

export function parseReference(value: string | undefined, field = 'reference'): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (!referencePattern.test(trimmed)) throw invalidField(field, `${field} must be 1 to 140 printable ASCII characters.`);
  return trimmed;
}

/**
 * Claims (account, reference) for a movement, as a queued write of the unit of work. The primary key decides, not a
 * prior SELECT: of two concurrent movements with one reference the second waits for the first to commit and then
 * fails here, and the failure takes the whole unit of work with it: the second movement leaves no trace.
 */
export function claimReference(work: UnitOfWork, environment: Environment, accountId: string, reference: string | null, movementId: string, now: Date): void {
  if (reference === null) return;
  work.write({
    statement: statementsFor(environment).insertInto('movement_references').values({ account_id: accountId, reference, movement_id: movementId, created_at: now }),
    translate: (error) =>
      isUniqueViolation(error, 'movement_references_pkey')
        ? new ApiError('DUPLICATE_REFERENCE', 'A transfer, payout or conversion with this reference was already made from this account; use a new reference.', {
            field: 'reference',
            reference,
            account_id: accountId,
          })
        : undefined,
  });
}

/**
 * Claims (account, reference) for a deposit to the account: a retried deposit (an operator re-running `pik deposits
 * record` after a timeout) must not credit the account twice. As for claimReference, the primary key decides: of two
 * concurrent deposits with one reference the second waits for the first to commit and then finds it. ON CONFLICT
 * keeps the transaction usable, so the answer can name the deposit that already holds the reference.
 */
export async function claimDepositReference(tx: Tx, environment: Environment, accountId: string, reference: string | null, depositId: string, now: Date): Promise<void> {
  if (reference === null) return;
  const db = tx.env(environment);
  const claimed = await db
    .insertInto('deposit_references')
    .values({ account_id: accountId, reference, deposit_id: depositId, created_at: now })
    .onConflict((oc) => oc.columns(['account_id', 'reference']).doNothing())
    .returning('deposit_id')
    .executeTakeFirst();
  if (claimed) return;
  const existing = await db.selectFrom('deposit_references').select('deposit_id').where('account_id', '=', accountId).where('reference', '=', reference).executeTakeFirst();
  throw new ApiError('DUPLICATE_REFERENCE', 'A deposit with this reference was already recorded for this account; it is not recorded twice.', {
    field: 'reference',
    reference,
    account_id: accountId,
    deposit_id: existing?.deposit_id ?? null,
  });
}
