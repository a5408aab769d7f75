// Inbound funds: simulated deposits in sandbox, operator-recorded deposits in production, and the settler that
// moves pending deposits to available.
import type { Environment } from '../../lib/environments.ts';
import type { DepositRow } from '../../db/schema.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { PeriodicPass, passEachEnvironment } from '../periodic-pass.ts';
import { newId } from '../../lib/ids.ts';
import type { Currency } from '../../lib/currencies.ts';
import { formatMinor, parseAmount, parseCurrency } from '../../lib/money.ts';
import { requireCapability } from '../accounts/capability-gate.ts';
import { resolvePathAccount } from '../accounts/accounts.ts';
import type { OperatorActor, Scope } from '../../lib/actor.ts';
import type { Deps } from '../deps.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { recordEvent } from '../events.ts';
import { decideSettle } from './decisions.ts';
import { postMovement } from './ledger.ts';
import { claimDepositReference, parseReference } from './references.ts';
import { creditInbound, insertDepositRow, type MoneyIn } from './deposit-rows.ts';
import { lockLinkForReference, receiveLinkDeposit } from '../payment-links/settlement.ts';
import { codePointLength } from '../../lib/text.ts';

export interface DepositInput {
  accountId?: string | undefined;
  currency: unknown;
  amount: unknown;
  reference?: string | undefined;
  senderName?: string | undefined;
  settle?: 'immediately' | undefined;
}

function parseSenderName(value: string | undefined): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed.length === 0 || codePointLength(trimmed) > 140) throw invalidField('sender_name', 'sender_name must be 1 to 140 characters.');
  return trimmed;
}

interface NewDeposit extends MoneyIn {
  source: DepositRow['source'];
  settleAt: Date | null;
}

async function insertDeposit(work: UnitOfWork, environment: Environment, d: NewDeposit, now: Date): Promise<DepositRow> {
  const tx = await work.transaction();
  const id = newId('deposit');
  // A payment link's reference is its matching key, not one bank line's: many payers (and a payer topping up) pay
  // one link with it, so it is not claimed. The link's row lock, taken first, orders the deposits of one link.
  const link = d.reference === null ? undefined : await lockLinkForReference(tx, environment, d.accountId, d.reference);
  if (link && d.reference !== null) {
    return receiveLinkDeposit(work, environment, link, { ...d, id, reference: d.reference }, now);
  }
  const settled = d.settleAt === null;
  // First, before any money moves: a reference already recorded for this account refuses the whole deposit.
  await claimDepositReference(tx, environment, d.accountId, d.reference, id, now);
  const transactionId = creditInbound(work, environment, id, d, settled, now);
  const row = await insertDepositRow(tx, environment, {
    ...d,
    id,
    status: settled ? 'settled' : 'pending',
    settleAt: d.settleAt,
    transactionId,
    createdAt: now,
    settledAt: settled ? now : null,
  });
  if (settled) await recordSettledEvent(work, environment, row);
  return row;
}

async function recordSettledEvent(work: UnitOfWork, environment: Environment, row: DepositRow): Promise<void> {
  await recordEvent(work, environment, {
    platformId: row.platform_id,
    accountId: row.account_id,
    type: 'payment.settled',
    data: {
      deposit_id: row.id,
      transaction_id: row.transaction_id as string,
      account_id: row.account_id,
      currency: row.currency,
      amount: formatMinor(row.amount, row.currency as Currency),
      reference: row.reference,
    },
  });
}

/** Sandbox: a third party pays in. Pending first, settled by the settler after the configured delay (or at once). */
export async function createSandboxDeposit(deps: Deps, work: UnitOfWork, scope: Scope, input: DepositInput): Promise<DepositRow> {
  if (scope.environment !== 'sandbox') throw new ApiError('SANDBOX_ONLY');
  const account = await resolvePathAccount(deps, scope, input.accountId ?? scope.accountId);
  const currency = parseCurrency(input.currency);
  const amount = parseAmount(input.amount, currency);
  const reference = parseReference(input.reference);
  const senderName = parseSenderName(input.senderName);
  const now = deps.now();
  const settleAt = input.settle === 'immediately' ? null : new Date(now.getTime() + deps.config.sandboxSettleDelayMs);
  const tx = await work.transaction();
  // FOR SHARE: inbound_payments cannot be switched off between this check and the commit.
  await requireCapability(tx.env(scope.environment), { accountId: account.id }, 'inbound_payments', { lockRow: true });
  return insertDeposit(work, scope.environment, { platformId: scope.platformId, accountId: account.id, currency, amount, reference, senderName, source: 'sandbox', settleAt }, now);
}

/**
 * Sandbox: funds a payer sends to a payment link (the simulator and the sandbox payer helper), in the caller's unit
 * of work, which has checked the account's inbound_payments. The reference is the link's, so it goes to the link.
 */
export async function recordSandboxLinkDeposit(
  work: UnitOfWork,
  environment: Environment,
  d: { platformId: string; accountId: string; currency: Currency; amount: bigint; reference: string; senderName: string | null },
  now: Date,
): Promise<DepositRow> {
  if (environment !== 'sandbox') throw new ApiError('SANDBOX_ONLY');
  return insertDeposit(work, environment, { ...d, source: 'sandbox', settleAt: null }, now);
}

/**
 * Production: the operator records money that the bank statement shows arrived for an account. It is settled
 * (the bank has cleared it) and needs no capability check: the money is there and must be accounted for.
 */
export async function recordOperatorDeposit(
  deps: Deps,
  work: UnitOfWork,
  _actor: OperatorActor,
  input: DepositInput & { environment: Environment; accountId: string },
): Promise<DepositRow> {
  const currency = parseCurrency(input.currency);
  const amount = parseAmount(input.amount, currency);
  const reference = parseReference(input.reference);
  const senderName = parseSenderName(input.senderName);
  const now = deps.now();
  const tx = await work.transaction();
  const account = await tx.env(input.environment).selectFrom('accounts').select(['id', 'platform_id']).where('id', '=', input.accountId).executeTakeFirst();
  if (!account) throw new ApiError('ACCOUNT_NOT_FOUND', undefined, { account_id: input.accountId });
  return insertDeposit(
    work,
    input.environment,
    { platformId: account.platform_id, accountId: account.id, currency, amount, reference, senderName, source: 'operator', settleAt: null },
    now,
  );
}

/** Settles one pending deposit; false when another settler (another process) got there first. */
async function settleDeposit(work: UnitOfWork, environment: Environment, depositId: string, now: Date): Promise<boolean> {
  const tx = await work.transaction();
  const db = tx.env(environment);
  // Guarded transition: of two settlers racing for one deposit, only the one that flips pending → settled posts entries.
  const row = await db
    .updateTable('deposits')
    .set({ status: 'settled', settled_at: now })
    .where('id', '=', depositId)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
  if (!row) return false;
  const currency = row.currency as Currency;
  postMovement(work, environment, row.id, decideSettle({ accountId: row.account_id, currency, amount: row.amount }), now);
  await db.updateTable('transactions').set({ status: 'settled', updated_at: now }).where('id', '=', row.transaction_id as string).execute();
  await recordSettledEvent(work, environment, row);
  return true;
}

/** One pass of the settler: deposits due now, oldest first; SKIP LOCKED lets several server processes share the work. */
export async function settleDueDeposits(work: UnitOfWork, environment: Environment, now: Date, limit = 50): Promise<number> {
  const tx = await work.transaction();
  const due = await tx
    .env(environment)
    .selectFrom('deposits')
    .select('id')
    .where('status', '=', 'pending')
    .where('settle_at', '<=', now)
    .orderBy('settle_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  let settled = 0;
  for (const { id } of due) if (await settleDeposit(work, environment, id, now)) settled++;
  return settled;
}

/** The background settler in every server process: polls for due sandbox deposits. */
export class DepositSettler extends PeriodicPass {
  constructor(
    private readonly deps: Deps,
    onError: (error: unknown) => void,
  ) {
    super(Math.min(1000, Math.max(20, Math.floor(deps.config.sandboxSettleDelayMs / 2))), onError);
  }

  /** Production deposits are recorded settled by the operator: only sandbox has deposits to settle. */
  async runOnce(): Promise<number> {
    return passEachEnvironment(this.deps, this.deps.config.environments.filter((e) => e === 'sandbox'), settleDueDeposits);
  }
}
