// The one gate every capability use goes through: verification first, then the capability (spec §4).
import { sql } from 'kysely';
import type { AccountRow, EnvDb } from '../../db/schema.ts';
import { statementsFor } from '../../db/statements.ts';
import { RetryUnitOfWork, type UnitOfWork } from '../../db/unit-of-work.ts';
import type { Deps } from '../deps.ts';
import type { Capability } from '../../lib/capabilities.ts';
import type { Scope } from '../../lib/actor.ts';
import { ApiError } from '../../lib/errors.ts';

export type CapabilityDenial =
  | { code: 'ACCOUNT_NOT_VERIFIED'; detail: { account_id: string; verification_status: string } }
  | { code: 'CAPABILITY_NOT_ACTIVATED'; detail: { account_id: string; capability: Capability } };

/** Pure decision: may this account use this capability now? */
export function decideCapabilityUse(
  account: Pick<AccountRow, 'id' | 'verification_status' | 'capabilities'>,
  capability: Capability,
): CapabilityDenial | null {
  if (account.verification_status !== 'approved') {
    return { code: 'ACCOUNT_NOT_VERIFIED', detail: { account_id: account.id, verification_status: account.verification_status } };
  }
  if (!account.capabilities.includes(capability)) {
    return { code: 'CAPABILITY_NOT_ACTIVATED', detail: { account_id: account.id, capability } };
  }
  return null;
}

/**
 * Reads the account fresh — never from a cache — so a capability switched off or a verification withdrawn
 * takes effect on the very next request. Pass the transaction's handle when the use writes, and `lockRow`
 * (FOR SHARE) so the capability cannot be switched off between this check and the commit.
 */
export async function requireCapability(
  db: EnvDb,
  scope: Pick<Scope, 'accountId'>,
  capability: Capability,
  options: { lockRow?: boolean } = {},
): Promise<AccountRow> {
  let query = db.selectFrom('accounts').selectAll().where('id', '=', scope.accountId);
  if (options.lockRow) query = query.forShare();
  const account = await query.executeTakeFirst();
  if (!account) throw new ApiError('ACCOUNT_NOT_FOUND', undefined, { account_id: scope.accountId });
  const denial = decideCapabilityUse(account, capability);
  if (denial) throw new ApiError(denial.code, undefined, denial.detail);
  return account;
}


/**
 * The gate for a use that writes through queued writes (a payout): no round trip of its own. It decides on the
 * account directory's row — confirmed by a fresh read whenever that row says no, so a capability just switched on is
 * never refused — and queues the check again, under FOR SHARE, with the unit's writes: a capability switched off or a
 * verification withdrawn before that statement runs fails it, the directory forgets the row, and the unit of work runs
 * again, to be refused on the fresh row with the precise reason.
 */
export async function requireCapabilityQueued(deps: Pick<Deps, 'directory'>, work: UnitOfWork, scope: Pick<Scope, 'accountId' | 'environment'>, capability: Capability): Promise<AccountRow> {
  const { environment, accountId } = scope;
  let account = await deps.directory.get(environment, accountId);
  if (!account || decideCapabilityUse(account, capability)) {
    deps.directory.forget(environment, accountId);
    account = await deps.directory.get(environment, accountId);
  }
  if (!account) throw new ApiError('ACCOUNT_NOT_FOUND', undefined, { account_id: accountId });
  const denial = decideCapabilityUse(account, capability);
  if (denial) throw new ApiError(denial.code, undefined, denial.detail);
  work.write({
    statement: statementsFor(environment)
      .selectFrom('accounts')
      .select('id')
      .where('id', '=', accountId)
      .where('verification_status', '=', 'approved')
      .where(sql<boolean>`${capability} = any(capabilities)`)
      .forShare(),
    expectRows: { count: 1, otherwise: () => new RetryUnitOfWork(`${accountId} changed`, async () => deps.directory.forget(environment, accountId)) },
  });
  return account;
}
