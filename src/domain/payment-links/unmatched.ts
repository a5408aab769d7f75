// Unmatched funds: money that came in for a payment link that could not take it (late, paid, cancelled, the wrong
// currency, or what an expired payment had received). Held outside every wallet until the operator assigns it to the
// account it was paid to or returns it to the payer — never lost, never credited without a decision.
import type { UnmatchedFundsRow, UnmatchedStatus } from '../../db/schema.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import type { OperatorActor } from '../../lib/actor.ts';
import type { Environment } from '../../lib/environments.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import type { Deps } from '../deps.ts';
import { clearing, decideInbound } from '../ledger/decisions.ts';
import { insertTransactions, postMovement } from '../ledger/ledger.ts';
import { codePointLength } from '../../lib/text.ts';

export async function listUnmatchedFunds(
  deps: Deps,
  _actor: OperatorActor,
  environment: Environment,
  filter: { status?: UnmatchedStatus | undefined; platformId?: string | undefined; limit: number },
): Promise<UnmatchedFundsRow[]> {
  let query = deps.db.env(environment).selectFrom('unmatched_funds').selectAll();
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.platformId) query = query.where('platform_id', '=', filter.platformId);
  return query.orderBy('id', 'asc').limit(filter.limit).execute();
}

function parseNote(value: string | undefined): string | null {
  if (value === undefined) return null;
  const note = value.trim();
  if (note.length === 0 || codePointLength(note) > 500) throw invalidField('note', 'note must be 1 to 500 characters.');
  return note;
}

/**
 * Assigns held funds to the account they were paid to (a settled payment_in, available at once) or returns them to
 * the payer (out of PIK for good). Guarded on `status = 'held'`: of two operators deciding at once only one moves the
 * money; the other gets 409 UNMATCHED_FUNDS_RESOLVED (or, repeating the same decision, the funds as decided).
 */
export async function resolveUnmatchedFunds(
  deps: Deps,
  work: UnitOfWork,
  _actor: OperatorActor,
  environment: Environment,
  id: string,
  decision: { to: 'assigned' | 'returned'; note?: string | undefined },
): Promise<UnmatchedFundsRow> {
  const note = parseNote(decision.note);
  const now = deps.now();
  const tx = await work.transaction();
  const db = tx.env(environment);
  const row = await db
    .updateTable('unmatched_funds')
    .set({ status: decision.to, note, resolved_at: now })
    .where('id', '=', id)
    .where('status', '=', 'held')
    .returningAll()
    .executeTakeFirst();
  if (!row) {
    const current = await db.selectFrom('unmatched_funds').selectAll().where('id', '=', id).executeTakeFirst();
    if (!current) throw new ApiError('UNMATCHED_FUNDS_NOT_FOUND', undefined, { unmatched_funds_id: id });
    if (current.status === decision.to) return current;
    throw new ApiError('UNMATCHED_FUNDS_RESOLVED', undefined, { unmatched_funds_id: id, status: current.status });
  }
  const { currency, amount } = row;
  if (decision.to === 'returned') {
    postMovement(work, environment, row.id, decideInbound({ accountId: clearing.returned, from: clearing.unmatched, currency, amount, settled: true }), now);
    return row;
  }
  postMovement(work, environment, row.id, decideInbound({ accountId: row.account_id, from: clearing.unmatched, currency, amount, settled: true }), now);
  const [transactionId] = insertTransactions(
    work,
    environment,
    [{ platformId: row.platform_id, accountId: row.account_id, movementId: row.id, type: 'payment_in', currency, amount, status: 'settled', reference: row.reference, counterparty: { type: 'external', name: null } }],
    now,
  );
  return db.updateTable('unmatched_funds').set({ transaction_id: transactionId as string }).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
}
