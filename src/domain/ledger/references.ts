// Movement references: a reference names one transfer or payout from an account, forever.
import type { Environment } from '../../lib/environments.ts';
import type { Tx } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';

const referencePattern = /^[\x20-\x7e]{1,140}$/;

export function parseReference(value: string | undefined, field = 'reference'): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (!referencePattern.test(trimmed)) throw invalidField(field, `${field} must be 1 to 140 printable ASCII characters.`);
  return trimmed;
}

/**
 * Claims (account, reference) for a movement. The primary key decides, not a prior SELECT: of two concurrent
 * movements with one reference the second waits for the first to commit and then fails here. A unique violation
 * aborts the surrounding transaction, which is what we want: the second movement must leave no trace.
 */
export async function claimReference(tx: Tx, environment: Environment, accountId: string, reference: string | null, movementId: string, now: Date): Promise<void> {
  if (reference === null) return;
  try {
    await tx.env(environment).insertInto('movement_references').values({ account_id: accountId, reference, movement_id: movementId, created_at: now }).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ApiError('DUPLICATE_REFERENCE', undefined, { field: 'reference', reference, account_id: accountId });
    throw error;
  }
}
