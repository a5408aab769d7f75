// Capabilities: the platform activates and deactivates them on its connected accounts; the operator on platform accounts.
import type { Environment } from '../../lib/environments.ts';
import type { AccountRow } from '../../db/schema.ts';
import { capabilities, isCapability, type Capability } from '../../lib/capabilities.ts';
import type { OperatorActor, Scope } from '../../lib/actor.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../../lib/errors.ts';
import { requirePlatform } from '../platforms/platforms.ts';
import { recordCapabilityEvent, type CapabilityChangeCause } from './capability-events.ts';
import { resolvePathAccount } from './accounts.ts';
import { decideCapabilityUse } from './capability-gate.ts';

export function parseCapability(name: string): Capability {
  if (!isCapability(name)) {
    throw new ApiError('UNKNOWN_CAPABILITY', `Unknown capability; use one of ${capabilities.join(', ')}.`, {
      field: 'name',
      known_capabilities: [...capabilities],
    });
  }
  return name;
}

/** The account's capabilities as they are now (read fresh: this is what the gate will apply on the next request). */
export async function listCapabilities(deps: Deps, scope: Scope, accountId: string): Promise<AccountRow> {
  const account = await resolvePathAccount(deps, scope, accountId);
  const fresh = await deps.db.env(scope.environment).selectFrom('accounts').selectAll().where('id', '=', account.id).executeTakeFirst();
  if (!fresh) throw new ApiError('ACCOUNT_NOT_FOUND', undefined, { account_id: accountId });
  return fresh;
}

export type CapabilityChange = 'activate' | 'deactivate';

/**
 * Pure: the outcome of switching one capability. Activation goes through the same decision as every use of a
 * capability, minus the "is it active" half, so the reasons a platform sees are the gate's reasons.
 */
export function decideCapabilityChange(
  account: Pick<AccountRow, 'id' | 'verification_status' | 'capabilities'>,
  capability: Capability,
  change: CapabilityChange,
): ApiError | null {
  const isActive = account.capabilities.includes(capability);
  if (change === 'activate') {
    const denial = decideCapabilityUse({ ...account, capabilities: [...capabilities] }, capability);
    if (denial) return new ApiError(denial.code, 'The account must be approved before a capability can be activated.', denial.detail);
    if (isActive) return new ApiError('CAPABILITY_ALREADY_ACTIVE', undefined, { account_id: account.id, capability });
    return null;
  }
  if (!isActive) return new ApiError('CAPABILITY_NOT_ACTIVE', undefined, { account_id: account.id, capability });
  return null;
}

async function applyCapabilityChange(
  deps: Deps,
  work: UnitOfWork,
  environment: Environment,
  accountId: string,
  capability: Capability,
  change: CapabilityChange,
  cause: CapabilityChangeCause,
  guard: (account: AccountRow) => void,
): Promise<AccountRow> {
  const tx = await work.transaction();
  const env = tx.env(environment);
  // FOR UPDATE: an activation racing a verification withdrawal must see the withdrawal (and fail) or happen before it
  // (and be switched off by it) — never write a capability back onto an account that just lost its approval.
  const account = await env.selectFrom('accounts').selectAll().where('id', '=', accountId).forUpdate().executeTakeFirst();
  if (!account) throw new ApiError('ACCOUNT_NOT_FOUND', undefined, { account_id: accountId });
  guard(account);
  const refusal = decideCapabilityChange(account, capability, change);
  if (refusal) throw refusal;
  const next = change === 'activate' ? capabilities.filter((c) => c === capability || account.capabilities.includes(c)) : account.capabilities.filter((c) => c !== capability);
  const updated = await env
    .updateTable('accounts')
    .set({ capabilities: next, updated_at: deps.now() })
    .where('id', '=', accountId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordCapabilityEvent(work, environment, updated, capability, change === 'activate' ? 'active' : 'inactive', cause);
  await deps.invalidation.publish(work, { kind: 'account', environment, accountId });
  return updated;
}

/** POST/DELETE /accounts/{id}/capabilities/{name}: the platform switches a capability of one of its connected accounts. */
export async function changeConnectedCapability(
  deps: Deps,
  work: UnitOfWork,
  scope: Scope,
  accountId: string,
  name: string,
  change: CapabilityChange,
): Promise<AccountRow> {
  const capability = parseCapability(name);
  const account = await resolvePathAccount(deps, scope, accountId);
  // Keys inherit the platform's capabilities; only the operator changes those.
  if (account.type !== 'connected') throw new ApiError('PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR', undefined, { account_id: accountId });
  return applyCapabilityChange(deps, work, scope.environment, account.id, capability, change, change === 'activate' ? 'activated' : 'deactivated', () => undefined);
}

/** The operator enables or disables a capability of a platform account in one environment. */
export async function changePlatformCapability(
  deps: Deps,
  work: UnitOfWork,
  _actor: OperatorActor,
  input: { platformId: string; environment: Environment; capability: string; change: CapabilityChange },
): Promise<AccountRow> {
  const capability = parseCapability(input.capability);
  await requirePlatform(deps, input.platformId);
  return applyCapabilityChange(deps, work, input.environment, input.platformId, capability, input.change, 'operator', (account) => {
    if (account.type !== 'platform') throw new ApiError('PLATFORM_NOT_FOUND');
  });
}
