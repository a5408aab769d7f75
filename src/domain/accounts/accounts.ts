// Connected accounts: create, list, read; and which account a request with a path id acts on.
import type { AccountRow } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { isCountryCode } from '../../lib/countries.ts';
import { isEmailAddress } from '../../lib/email.ts';
import { newId } from '../../lib/ids.ts';
import type { Scope } from '../../lib/actor.ts';
import type { Deps } from '../deps.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { recordEvent } from '../events.ts';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.ts';
import { codePointLength } from '../../lib/text.ts';

export interface CreateConnectedAccountInput {
  customerType: string;
  email: string;
  country: string;
  referenceId?: string | undefined;
  displayName?: string | undefined;
}

const referenceIdPattern = /^[\x21-\x7e]{1,128}$/;
// NUL and lone surrogates cannot be stored by PostgreSQL; other control characters have no place in these fields.
// eslint-disable-next-line no-control-regex
const unstorableText = /[\u0000-\u001f\u007f]|\p{Cs}/u;

export function assertPlatformScope(scope: Scope): void {
  if (!scope.isPlatformScope) throw new ApiError('PLATFORM_SCOPE_REQUIRED');
}

export async function createConnectedAccount(deps: Deps, work: UnitOfWork, scope: Scope, input: CreateConnectedAccountInput): Promise<AccountRow> {
  assertPlatformScope(scope);
  if (input.customerType !== 'individual' && input.customerType !== 'business') {
    throw invalidField('customer_type', 'customer_type must be "individual" or "business".');
  }
  const email = input.email.trim().toLowerCase();
  if (!isEmailAddress(email) || unstorableText.test(email)) throw invalidField('email', 'email must be an email address.');
  if (!isCountryCode(input.country)) throw invalidField('country', 'country must be an ISO 3166-1 alpha-2 code in capitals, such as "AU".');
  if (input.referenceId !== undefined && !referenceIdPattern.test(input.referenceId)) {
    throw invalidField('reference_id', 'reference_id must be 1 to 128 printable characters without spaces.');
  }
  const displayName = input.displayName?.trim();
  if (displayName !== undefined && (displayName.length === 0 || codePointLength(displayName) > 200 || unstorableText.test(displayName))) {
    throw invalidField('display_name', 'display_name must be 1 to 200 characters, without control characters.');
  }

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
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    // The unique index, not a prior SELECT, decides: two concurrent creates with one reference_id cannot both win.
    if (isUniqueViolation(error, 'accounts_reference_id')) {
      throw new ApiError('REFERENCE_ID_CONFLICT', undefined, { field: 'reference_id', reference_id: input.referenceId });
    }
    throw error;
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
