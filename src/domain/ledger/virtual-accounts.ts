// AUD virtual account numbers: a BSB and account number, unique across the whole system, that route payments to one account.
import { randomInt } from 'node:crypto';
import type { Environment } from '../../lib/environments.ts';
import type { EnvDb, VirtualAccountRow } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { newId } from '../../lib/ids.ts';
import { resolvePathAccount } from '../accounts/accounts.ts';
import { requireCapability } from '../accounts/capability-gate.ts';
import { verifiedName } from '../accounts/verification.ts';
import { requirePlatform } from '../platforms/platforms.ts';
import type { Scope } from '../../lib/actor.ts';
import type { Deps } from '../deps.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { codePointLength } from '../../lib/text.ts';

/** PIK's BSB for virtual accounts, per environment (placeholders until a sponsoring bank assigns real ones). */
export const virtualAccountBsb: Record<Environment, string> = { sandbox: '802999', production: '802001' };

export interface VirtualAccountDetails {
  id: string;
  accountId: string;
  currency: 'AUD';
  bsb: string;
  accountNumber: string;
  accountName: string;
  createdAt: Date;
}

function toDetails(row: VirtualAccountRow): VirtualAccountDetails {
  return { id: row.id, accountId: row.account_id, currency: 'AUD', bsb: row.bsb, accountNumber: row.account_number, accountName: row.account_name, createdAt: row.created_at };
}

/**
 * The active virtual account of an account, or null. No capability check: callers (the receiving-details route)
 * run requireCapability themselves. `db` is a Database or a transaction's Tx.
 */
export async function getVirtualAccountDetails(
  db: { env(environment: Environment): EnvDb },
  environment: Environment,
  accountId: string,
): Promise<VirtualAccountDetails | null> {
  const row = await db.env(environment).selectFrom('virtual_accounts').selectAll().where('account_id', '=', accountId).where('status', '=', 'active').executeTakeFirst();
  return row ? toDetails(row) : null;
}

export async function issueVirtualAccount(deps: Deps, work: UnitOfWork, scope: Scope, accountId: string, input: { accountName?: string | undefined }): Promise<VirtualAccountDetails> {
  const account = await resolvePathAccount(deps, scope, accountId);
  // The name a payer's bank shows: the one given, else the account's display name, else the name it was verified under
  // (issuing needs an approved account), else the platform's.
  const accountName = (input.accountName ?? account.display_name ?? (await verifiedName(deps, scope.environment, account.id)) ?? (await requirePlatform(deps, scope.platformId)).name).trim();
  if (accountName.length === 0 || codePointLength(accountName) > 140) throw invalidField('account_name', 'account_name must be 1 to 140 characters.');
  const now = deps.now();
  const bsb = virtualAccountBsb[scope.environment];
  const tx = await work.transaction();
  const db = tx.env(scope.environment);
  await requireCapability(db, { accountId: account.id }, 'inbound_payments', { lockRow: true });
  const id = newId('virtualAccount');
  // A random 9-digit number; the core registry's primary key decides collisions. ON CONFLICT DO NOTHING (not a caught
  // error) lets a clash simply draw again inside this one transaction, which an error would have aborted.
  let accountNumber: string | undefined;
  for (let attempt = 0; attempt < 5 && accountNumber === undefined; attempt++) {
    const drawn = String(randomInt(100_000_000, 1_000_000_000));
    const registered = await tx.core
      .insertInto('core.virtual_account_numbers')
      .values({ bsb, account_number: drawn, environment: scope.environment, virtual_account_id: id, created_at: now })
      .onConflict((oc) => oc.doNothing())
      .returning('account_number')
      .executeTakeFirst();
    accountNumber = registered?.account_number;
  }
  if (accountNumber === undefined) throw new Error('could not draw a free virtual account number');
  try {
    const row = await db
      .insertInto('virtual_accounts')
      .values({ id, platform_id: scope.platformId, account_id: account.id, bsb, account_number: accountNumber, account_name: accountName, status: 'active', created_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toDetails(row);
  } catch (error) {
    // One active number per account: the partial unique index settles two concurrent issues.
    if (isUniqueViolation(error, 'virtual_accounts_one_active')) throw new ApiError('VIRTUAL_ACCOUNT_EXISTS', undefined, { account_id: account.id });
    throw error;
  }
}

export async function readVirtualAccount(deps: Deps, scope: Scope, accountId: string): Promise<VirtualAccountDetails> {
  const account = await resolvePathAccount(deps, scope, accountId);
  await requireCapability(deps.db.env(scope.environment), { accountId: account.id }, 'inbound_payments');
  const details = await getVirtualAccountDetails(deps.db, scope.environment, account.id);
  if (!details) throw new ApiError('VIRTUAL_ACCOUNT_NOT_FOUND', undefined, { account_id: account.id });
  return details;
}

/** Releases the number: payments to it stop being credited. The number is never issued again (it stays in the registry). */
export async function releaseVirtualAccount(deps: Deps, work: UnitOfWork, scope: Scope, accountId: string): Promise<VirtualAccountDetails> {
  const account = await resolvePathAccount(deps, scope, accountId);
  const tx = await work.transaction();
  const db = tx.env(scope.environment);
  await requireCapability(db, { accountId: account.id }, 'inbound_payments');
  const row = await db
    .updateTable('virtual_accounts')
    .set({ status: 'released', released_at: deps.now() })
    .where('account_id', '=', account.id)
    .where('status', '=', 'active')
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new ApiError('VIRTUAL_ACCOUNT_NOT_FOUND', undefined, { account_id: account.id });
  return toDetails(row);
}
