// Connected accounts: create, list, read, update; and which account a request with a path id acts on.
import type { AccountRow } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { isCountryCode } from '../../lib/countries.ts';
import { isEmailAddress } from '../../lib/email.ts';
import { newId } from '../../lib/ids.ts';
import type { Scope } from '../../lib/actor.ts';
import type { Deps } from '../deps.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { mergeMetadata, parseMetadata } from '../../lib/metadata.ts';
import { recordEvent } from '../events.ts';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.ts';
import { codePointLength } from '../../lib/text.ts';

export interface CreateConnectedAccountInput {
  customerType: string;
  email: string;
  country: string;
  referenceId?: string | undefined;
  displayName?: string | undefined;
  metadata?: unknown;
}

const referenceIdPattern = /^[\x21-\x7e]{1,128}$/;
// NUL and lone surrogates cannot be stored by PostgreSQL; other control characters have no place in these fields.
// eslint-disable-next-line no-control-regex
const unstorableText = /[\u0000-\u001f\u007f]|\p{Cs}/u;

function parseEmail(value: string): string {
  const email = value.trim().toLowerCase();
  if (!isEmailAddress(email) || unstorableText.test(email)) throw invalidField('email', 'email must be an email address.');
  return email;
}

function parseReferenceId(value: string): string {
  if (!referenceIdPattern.test(value)) throw invalidField('reference_id', 'reference_id must be 1 to 128 printable characters without spaces.');
  return value;
}

function parseDisplayName(value: string): string {
  const displayName = value.trim();
  // Code points, as the document's maxLength counts them: a name of 200 emoji is 200 characters.
  if (displayName.length === 0 || codePointLength(displayName) > 200 || unstorableText.test(displayName)) {
    throw invalidField('display_name', 'display_name must be 1 to 200 characters, without control characters.');
  }
  return displayName;
}

export function assertPlatformScope(scope: Scope): void {
  if (!scope.isPlatformScope) throw new ApiError('PLATFORM_SCOPE_REQUIRED');
}

/**
 * REFERENCE_ID_CONFLICT when the accounts' unique index refused the reference_id, else the error itself. The index, not
 * a prior SELECT, decides: two concurrent requests (creates or updates) giving one reference_id cannot both win.
 */
function referenceIdConflictOr(error: unknown, referenceId: string | null | undefined): unknown {
  return isUniqueViolation(error, 'accounts_reference_id') ? new ApiError('REFERENCE_ID_CONFLICT', undefined, { field: 'reference_id', reference_id: referenceId }) : error;
}

export async function createConnectedAccount(deps: Deps, work: UnitOfWork, scope: Scope, input: CreateConnectedAccountInput): Promise<AccountRow> {
  assertPlatformScope(scope);
  if (input.customerType !== 'individual' && input.customerType !== 'business') {
    throw invalidField('customer_type', 'customer_type must be "individual" or "business".');
  }
  const email = parseEmail(input.email);
  if (!isCountryCode(input.country)) throw invalidField('country', 'country must be an ISO 3166-1 alpha-2 code in capitals, such as "AU".');
  if (input.referenceId !== undefined) parseReferenceId(input.referenceId);
  const displayName = input.displayName === undefined ? undefined : parseDisplayName(input.displayName);
  const metadata = parseMetadata(input.metadata);

  const customerType = input.customerType;
  const now = deps.now();
  let account: AccountRow;
  try {
    const tx = await work.transaction();
    account = await tx
      .env(scope.environment)
      .insertInto('accounts')
      .values({
        id: newId('account'),
        platform_id: scope.platformId,
        type: 'connected',
        customer_type: customerType,
        email,
        country: input.country,
        reference_id: input.referenceId ?? null,
        display_name: displayName ?? null,
        metadata: metadata === null ? null : JSON.stringify(metadata),
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    throw referenceIdConflictOr(error, input.referenceId);
  }
  await recordEvent(work, scope.environment, {
    platformId: scope.platformId,
    accountId: account.id,
    type: 'account.created',
    data: {
      account_id: account.id,
      customer_type: customerType as 'individual' | 'business',
      country: input.country,
      reference_id: account.reference_id,
      verification_status: account.verification_status,
    },
  });
  return account;
}

export interface ListAccountsFilter {
  email?: string | undefined;
  referenceId?: string | undefined;
}

export async function listConnectedAccounts(
  deps: Deps,
  scope: Scope,
  page: PageRequest,
  filter: ListAccountsFilter = {},
): Promise<Page<AccountRow>> {
  assertPlatformScope(scope);
  const after = decodeCursor(page.cursor, 'account');
  let query = deps.db
    .env(scope.environment)
    .selectFrom('accounts')
    .selectAll()
    .where('platform_id', '=', scope.platformId)
    .where('type', '=', 'connected');
  if (after) query = query.where('id', '<', after);
  if (filter.email) query = query.where('email', '=', filter.email.trim().toLowerCase());
  if (filter.referenceId) query = query.where('reference_id', '=', filter.referenceId);
  const rows = await query.orderBy('id', 'desc').limit(page.limit + 1).execute();
  return toPage(rows, page.limit);
}

export interface UpdateConnectedAccountInput {
  displayName?: string | null | undefined;
  email?: string | undefined;
  referenceId?: string | null | undefined;
  metadata?: unknown;
}

const updatableFields = ['display_name', 'email', 'reference_id', 'metadata'] as const;

/**
 * PATCH /accounts/{id}: a connected account's display name, email, reference_id (still unique per platform and
 * environment: 409 REFERENCE_ID_CONFLICT) and metadata (merged). Null clears display_name and reference_id. A change
 * records account.updated; a request that changes nothing records nothing and answers the account as it is.
 */
export async function updateConnectedAccount(deps: Deps, work: UnitOfWork, scope: Scope, accountId: string, input: UpdateConnectedAccountInput): Promise<AccountRow> {
  assertPlatformScope(scope);
  const changes: { display_name?: string | null; email?: string; reference_id?: string | null } = {};
  if (input.displayName !== undefined) changes.display_name = input.displayName === null ? null : parseDisplayName(input.displayName);
  if (input.email !== undefined) changes.email = parseEmail(input.email);
  if (input.referenceId !== undefined) changes.reference_id = input.referenceId === null ? null : parseReferenceId(input.referenceId);
  if (input.metadata !== undefined) mergeMetadata(null, input.metadata); // the shape, before the transaction; the merge below
  const account = await resolvePathAccount(deps, scope, accountId);
  if (account.type !== 'connected') throw new ApiError('PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR', undefined, { account_id: accountId });

  const tx = await work.transaction();
  const env = tx.env(scope.environment);
  // The row lock orders concurrent updates: each merges its metadata into what the one before it committed.
  const current = await env.selectFrom('accounts').selectAll().where('id', '=', accountId).forUpdate().executeTakeFirstOrThrow();
  const metadata = input.metadata === undefined ? current.metadata : mergeMetadata(current.metadata, input.metadata);
  const next = { ...changes, metadata };
  const changed = updatableFields.filter((f) => next[f] !== undefined && JSON.stringify(next[f]) !== JSON.stringify(current[f]));
  if (changed.length === 0) return current;
  let updated: AccountRow;
  try {
    updated = await env
      .updateTable('accounts')
      .set({ ...changes, metadata: metadata === null ? null : JSON.stringify(metadata), updated_at: deps.now() })
      .where('id', '=', accountId)
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    throw referenceIdConflictOr(error, changes.reference_id);
  }
  await recordEvent(work, scope.environment, {
    platformId: scope.platformId,
    accountId,
    type: 'account.updated',
    data: { account_id: accountId, changed_fields: changed, display_name: updated.display_name, reference_id: updated.reference_id, metadata: updated.metadata ?? {} },
  });
  await deps.invalidation.publish(work, { kind: 'account', environment: scope.environment, accountId });
  return updated;
}

/**
 * The account a `/accounts/{id}/…` request acts on. With x-on-behalf-of the path must name that same account;
 * without it the platform may name itself or any of its connected accounts. Anything else is "not found",
 * whether it exists for another platform, in the other environment, or not at all.
 */
export async function resolvePathAccount(deps: Deps, scope: Scope, accountId: string): Promise<AccountRow> {
  if (scope.viaOnBehalfOf && accountId !== scope.accountId) {
    throw new ApiError('ON_BEHALF_OF_MISMATCH', undefined, { path_account_id: accountId, on_behalf_of: scope.accountId });
  }
  const account = await deps.directory.get(scope.environment, accountId);
  if (!account || account.platform_id !== scope.platformId) throw new ApiError('ACCOUNT_NOT_FOUND', undefined, { account_id: accountId });
  return account;
}

/** The account in scope (GET /account). */
export async function getScopeAccount(deps: Deps, scope: Scope): Promise<AccountRow> {
  const account = await deps.directory.get(scope.environment, scope.accountId);
  if (!account) throw new ApiError('ACCOUNT_NOT_FOUND', undefined, { account_id: scope.accountId });
  return account;
}
