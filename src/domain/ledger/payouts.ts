// Payouts: validate the destination, hold the funds while pending, then complete (payment_out for good) or fail (release).
import type { Environment } from '../../lib/environments.ts';
import type { PayoutRow, PayoutStatus } from '../../db/schema.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { newId } from '../../lib/ids.ts';
import { currenciesPaidOutBy, currencyCatalogue, type Currency, type Network, type PayoutRail } from '../../lib/currencies.ts';
import { formatMinor, parseAmount, parseCurrency } from '../../lib/money.ts';
import { listWithOr } from '../../lib/words.ts';
import { requireCapabilityQueued } from '../accounts/capability-gate.ts';
import { statementsFor } from '../../db/statements.ts';
import type { OperatorActor, Scope } from '../../lib/actor.ts';
import type { Deps } from '../deps.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { parseMetadata } from '../../lib/metadata.ts';
import { recordEvent } from '../events.ts';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.ts';
import { decideHold, decidePayoutCompletion, decideRelease } from './decisions.ts';
import { insertTransactions, postMovement } from './ledger.ts';
import { claimReference, parseReference } from './references.ts';
import { codePointLength } from '../../lib/text.ts';

export interface CreatePayoutInput {
  currency: unknown;
  amount: unknown;
  destinationType: PayoutRail;
  destination: Record<string, unknown>;
  reference?: string | undefined;
  metadata?: unknown;
}

/** Why a rail does not pay this currency out, and which rail does; null when it does. The rails come from the currency catalogue. */
function payoutRailRefusal(currency: Currency, rail: PayoutRail): string | null {
  const rails: readonly PayoutRail[] = currencyCatalogue[currency].payoutRails;
  if (rails.includes(rail)) return null;
  const paidOut = currenciesPaidOutBy(rail);
  const isFiat = currencyCatalogue[currency].networks.length === 0;
  const instead = rails[0] === undefined ? `${currency} cannot be paid out` : `pay ${rail === 'crypto_address' && isFiat ? 'fiat' : currency} out to a ${rails[0]}`;
  return rail === 'bank_account' ? `Bank payouts are in ${paidOut.join(', ')}; ${instead}.` : `Crypto payouts are in ${listWithOr(paidOut)}; ${instead}.`;
}

const base58Alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** A Solana address is the base58 form of a 32-byte public key. */
export function isSolanaAddress(value: string): boolean {
  if (!/^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(value)) return false;
  let n = 0n;
  for (const ch of value) n = n * 58n + BigInt(base58Alphabet.indexOf(ch));
  const leadingZeros = value.length - value.replace(/^1+/, '').length;
  const bytes = n === 0n ? 0 : Math.ceil(n.toString(16).length / 2);
  return leadingZeros + bytes === 32;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value.trim() : undefined);

export function parseDestination(type: CreatePayoutInput['destinationType'], destination: Record<string, unknown>, currency: Currency): Record<string, string> {
  const refusal = payoutRailRefusal(currency, type);
  if (refusal) throw invalidField('currency', refusal);
  if (type === 'bank_account') {
    const bsb = str(destination.bsb);
    const accountNumber = str(destination.account_number);
    const accountName = str(destination.account_name);
    if (bsb === undefined || !/^\d{6}$/.test(bsb)) throw invalidField('destination.bsb', 'destination.bsb must be exactly 6 digits, such as "062000".');
    if (accountNumber === undefined || !/^\d{5,9}$/.test(accountNumber)) throw invalidField('destination.account_number', 'destination.account_number must be 5 to 9 digits.');
    if (accountName === undefined || accountName.length === 0 || codePointLength(accountName) > 140) throw invalidField('destination.account_name', 'destination.account_name must be 1 to 140 characters.');
    return { bsb, account_number: accountNumber, account_name: accountName };
  }
  const address = str(destination.address);
  const currencyNetworks: readonly Network[] = currencyCatalogue[currency].networks;
  const network = currencyNetworks.find((n) => n === destination.network);
  if (network === undefined) throw invalidField('destination.network', `destination.network must be ${listWithOr(currencyNetworks.map((n) => `"${n}"`))}.`);
  if (address === undefined || !isSolanaAddress(address)) throw invalidField('destination.address', 'destination.address must be a Solana address (base58, 32 bytes).');
  return { address, network };
}

export async function createPayout(deps: Deps, work: UnitOfWork, scope: Scope, input: CreatePayoutInput): Promise<PayoutRow> {
  const currency = parseCurrency(input.currency);
  const amount = parseAmount(input.amount, currency);
  const destination = parseDestination(input.destinationType, input.destination, currency);
  const reference = parseReference(input.reference);
  const metadata = parseMetadata(input.metadata);
  const id = newId('payout');
  const now = deps.now();
  const accountId = scope.accountId;
  // Every step is a queued write: the payout reaches the database as one statement (UnitOfWork.write).
  await requireCapabilityQueued(deps, work, scope, 'payouts');
  claimReference(work, scope.environment, accountId, reference, id, now);
  postMovement(work, scope.environment, id, decideHold({ accountId, currency, amount }), now);
  const [transactionId] = insertTransactions(
    work,
    scope.environment,
    [{ platformId: scope.platformId, accountId, movementId: id, type: 'payment_out', currency, amount: -amount, status: 'pending', reference, counterparty: { type: input.destinationType, ...destination } }],
    now,
  );
  const row: PayoutRow = {
    id,
    platform_id: scope.platformId,
    account_id: accountId,
    currency,
    amount,
    destination_type: input.destinationType,
    destination,
    reference,
    status: 'pending',
    failure_reason: null,
    transaction_id: transactionId as string,
    metadata,
    created_at: now,
    updated_at: now,
  };
  work.write({ statement: statementsFor(scope.environment).insertInto('payouts').values({ ...row, destination: JSON.stringify(destination), metadata: metadata === null ? null : JSON.stringify(metadata) }) });
  return row;
}

/** Platform scope sees every payout of the platform (its own and its connected accounts'); x-on-behalf-of only that account's. */
export async function getPayout(deps: Deps, scope: Scope, payoutId: string): Promise<PayoutRow> {
  let query = deps.db.env(scope.environment).selectFrom('payouts').selectAll().where('id', '=', payoutId).where('platform_id', '=', scope.platformId);
  if (!scope.isPlatformScope) query = query.where('account_id', '=', scope.accountId);
  const row = await query.executeTakeFirst();
  if (!row) throw new ApiError('PAYOUT_NOT_FOUND', undefined, { payout_id: payoutId });
  return row;
}

/** The payouts of the account in scope, newest first. */
export async function listPayouts(deps: Deps, scope: Scope, page: PageRequest, filter: { status?: PayoutStatus | undefined } = {}): Promise<Page<PayoutRow>> {
  const after = decodeCursor(page.cursor, 'payout');
  let query = deps.db.env(scope.environment).selectFrom('payouts').selectAll().where('account_id', '=', scope.accountId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (after) query = query.where('id', '<', after);
  return toPage(await query.orderBy('id', 'desc').limit(page.limit + 1).execute(), page.limit);
}

/** `reasonField` names the reason's field in errors as the caller's request names it (default `failure_reason`). */
export type PayoutOutcome = { status: 'completed' } | { status: 'failed'; failureReason: string; reasonField?: string };

/** A retry of the answer already applied: completed again, or failed again for the same reason. */
function isSameDecision(payout: PayoutRow, status: PayoutOutcome['status'], failureReason: string | null): boolean {
  return payout.status === status && (status === 'completed' || payout.failure_reason === failureReason);
}

/**
 * The rail's answer for a pending payout (the sandbox simulator or, in production, the operator). The guarded
 * status transition means that of two concurrent answers exactly one posts entries. The answer is idempotent: a
 * payout already decided the same way (a retry after a timeout) is returned as it is, moving nothing; a payout
 * decided the other way is a 409 — a decision once made is never flipped.
 */
export async function decidePayout(deps: Deps, work: UnitOfWork, environment: Environment, payoutId: string, outcome: PayoutOutcome, restrict?: Scope): Promise<PayoutRow> {
  const failureReason = outcome.status === 'failed' ? outcome.failureReason.trim() : null;
  if (failureReason !== null && (failureReason.length === 0 || codePointLength(failureReason) > 500)) {
    const field = (outcome.status === 'failed' && outcome.reasonField) || 'failure_reason';
    throw invalidField(field, `${field} must be 1 to 500 characters.`);
  }
  if (restrict) await getPayout(deps, restrict, payoutId);
  const now = deps.now();
  const tx = await work.transaction();
  const db = tx.env(environment);
  const row = await db
    .updateTable('payouts')
    .set({ status: outcome.status, failure_reason: failureReason, updated_at: now })
    .where('id', '=', payoutId)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
  if (!row) {
    // Read after the guarded UPDATE found nothing pending: a concurrent answer that won has committed by now (the
    // UPDATE waited for its row lock), so this sees the decision that was made.
    const decided = await db.selectFrom('payouts').selectAll().where('id', '=', payoutId).executeTakeFirst();
    if (!decided) throw new ApiError('PAYOUT_NOT_FOUND', undefined, { payout_id: payoutId });
    if (isSameDecision(decided, outcome.status, failureReason)) return decided;
    throw new ApiError('PAYOUT_NOT_PENDING', undefined, { payout_id: payoutId, status: decided.status, failure_reason: decided.failure_reason });
  }
  const currency = row.currency as Currency;
  const move = { accountId: row.account_id, currency, amount: row.amount };
  const postings = outcome.status === 'completed' ? decidePayoutCompletion(move) : decideRelease(move);
  postMovement(work, environment, row.id, postings, now);
  await db
    .updateTable('transactions')
    .set({ status: outcome.status === 'completed' ? 'settled' : 'failed', updated_at: now })
    .where('id', '=', row.transaction_id)
    .execute();
  await recordEvent(work, environment, {
    platformId: row.platform_id,
    accountId: row.account_id,
    type: outcome.status === 'completed' ? 'payout.completed' : 'payout.failed',
    data: {
      id: row.id,
      account_id: row.account_id,
      currency,
      amount: formatMinor(row.amount, currency),
      reference: row.reference,
      status: row.status,
      failure_reason: row.failure_reason,
    },
  });
  return row;
}

/** Operator: payouts waiting for the rail (production), oldest first. */
export async function listPayoutsForOperator(
  deps: Deps,
  _actor: OperatorActor,
  environment: Environment,
  filter: { status?: PayoutStatus | undefined; limit: number },
): Promise<PayoutRow[]> {
  let query = deps.db.env(environment).selectFrom('payouts').selectAll();
  if (filter.status) query = query.where('status', '=', filter.status);
  return query.orderBy('id', 'asc').limit(filter.limit).execute();
}
