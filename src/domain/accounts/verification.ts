// The verification state machine: identity submission, decisions (sandbox helper or operator), the review queue.
import type { Environment } from '../../lib/environments.ts';
import type { Tx } from '../../db/database.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import type { AccountRow, VerificationDecider, VerificationKind, VerificationRow, VerificationStatus } from '../../db/schema.ts';
import type { OperatorActor, Scope } from '../../lib/actor.ts';
import type { Deps } from '../deps.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { recordEvent } from '../events.ts';
import { recordCapabilityEvent } from './capability-events.ts';
import { resolvePathAccount } from './accounts.ts';
import { validateKyb, validateKyc, type KybIdentity, type KybInput, type KycIdentity, type KycInput } from './identity.ts';
import { identityContext } from '../../db/sealed-columns.ts';
import { codePointLength } from '../../lib/text.ts';

export const decisionStatuses = ['approved', 'rejected', 'action_required'] as const;
export type DecisionStatus = (typeof decisionStatuses)[number];

export type Submission = { kind: 'kyc'; input: KycInput } | { kind: 'kyb'; input: KybInput };

/** A verification with its identity opened: what the domain hands out. The stored row holds it sealed. */
export type Verification = Omit<VerificationRow, 'identity'> & { identity: KycIdentity | KybIdentity };

export interface VerificationView {
  account: AccountRow;
  verification: Verification | undefined;
}

/**
 * Identity is sealed here and opened here, nowhere else: the envelope is bound to the environment and account, so a
 * ciphertext copied onto another account's row fails to open (a 500 and a logged SealedDataError, never the data).
 */
function sealIdentity(deps: Deps, environment: Environment, accountId: string, identity: KycIdentity | KybIdentity): string {
  return deps.dataKeys.seal(JSON.stringify(identity), identityContext(environment, accountId));
}

function openVerification(deps: Deps, environment: Environment, row: VerificationRow): Verification {
  const identity = JSON.parse(deps.dataKeys.open(row.identity, identityContext(environment, row.account_id))) as KycIdentity | KybIdentity;
  return { ...row, identity };
}

/** Pure: may identity be submitted now? unverified and action_required accept it; everything else is a 409. */
export function decideSubmission(status: VerificationStatus): 'VERIFICATION_ALREADY_SUBMITTED' | 'VERIFICATION_REJECTED' | null {
  if (status === 'unverified' || status === 'action_required') return null;
  if (status === 'rejected') return 'VERIFICATION_REJECTED';
  return 'VERIFICATION_ALREADY_SUBMITTED';
}

/**
 * Pure: may this decision be taken now? A pending account can get any decision. An approved account can have its
 * verification withdrawn (rejected, or action_required to ask for more), which also switches every capability off.
 * unverified, rejected and action_required accounts have nothing to decide until identity is (re)submitted.
 */
export function isDecisionAllowed(current: VerificationStatus, next: DecisionStatus): boolean {
  if (current === 'pending') return true;
  if (current === 'approved') return next !== 'approved';
  return false;
}

const defaultReasons: Record<DecisionStatus, string | null> = {
  approved: null,
  rejected: 'The identity could not be verified.',
  action_required: 'More information is needed: correct the identity details and submit them again.',
};

function normaliseReason(reason: string | undefined): string | undefined {
  if (reason === undefined) return undefined;
  const trimmed = reason.trim();
  if (trimmed.length === 0) return undefined;
  if (codePointLength(trimmed) > 500) throw invalidField('reason', 'reason must be at most 500 characters.');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f]|\p{Cs}/u.test(trimmed)) throw invalidField('reason', 'reason contains characters that are not allowed.');
  return trimmed;
}

async function lockAccount(tx: Tx, environment: Environment, accountId: string): Promise<AccountRow> {
  // FOR UPDATE serialises every status and capability change of one account: two concurrent decisions, or a
  // decision racing an activation, cannot both read "pending"/"approved" and both write.
  const row = await tx.env(environment).selectFrom('accounts').selectAll().where('id', '=', accountId).forUpdate().executeTakeFirst();
  if (!row) throw new ApiError('ACCOUNT_NOT_FOUND', undefined, { account_id: accountId });
  return row;
}

function assertConnected(account: AccountRow): void {
  if (account.type !== 'connected') throw new ApiError('PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR', undefined, { account_id: account.id });
}

export async function submitIdentity(deps: Deps, work: UnitOfWork, scope: Scope, accountId: string, submission: Submission): Promise<VerificationView> {
  const cached = await resolvePathAccount(deps, scope, accountId);
  assertConnected(cached);
  if (submission.kind === 'kyc' && cached.customer_type !== 'individual') {
    throw new ApiError('KYC_REQUIRES_INDIVIDUAL', undefined, { account_id: accountId, customer_type: cached.customer_type });
  }
  if (submission.kind === 'kyb' && cached.customer_type !== 'business') {
    throw new ApiError('KYB_REQUIRES_BUSINESS', undefined, { account_id: accountId, customer_type: cached.customer_type });
  }
  const now = deps.now();
  const identity: KycIdentity | KybIdentity =
    submission.kind === 'kyc' ? validateKyc(submission.input, now) : validateKyb(submission.input, now);
  const environment = scope.environment;

  const tx = await work.transaction();
  const account = await lockAccount(tx, environment, accountId);
  const refusal = decideSubmission(account.verification_status);
  if (refusal) throw new ApiError(refusal, undefined, { account_id: accountId, verification_status: account.verification_status });
  const previous = account.verification_status;
  const env = tx.env(environment);
  const sealed = sealIdentity(deps, environment, accountId, identity);
  const row = await env
    .insertInto('verifications')
    .values({
      account_id: accountId,
      platform_id: account.platform_id,
      kind: submission.kind,
      identity: sealed,
      submitted_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.column('account_id').doUpdateSet((eb) => ({
        kind: submission.kind,
        identity: sealed,
        submission_count: eb('verifications.submission_count', '+', 1),
        submitted_at: now,
        reason: null,
        decided_at: null,
        decided_by: null,
        updated_at: now,
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  const verification: Verification = { ...row, identity };
  const updated = await env
    .updateTable('accounts')
    .set({ verification_status: 'pending', updated_at: now })
    .where('id', '=', accountId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordVerificationEvent(work, environment, updated, verification, previous);
  await deps.invalidation.publish(work, { kind: 'account', environment, accountId });
  return { account: updated, verification };
}

export async function getVerification(deps: Deps, scope: Scope, accountId: string): Promise<VerificationView> {
  const account = await resolvePathAccount(deps, scope, accountId);
  return readVerification(deps, scope.environment, account.id);
}

/** The name the account was verified under (a business's legal name, a person's first and last names), or null. */
export async function verifiedName(deps: Deps, environment: Environment, accountId: string): Promise<string | null> {
  const row = await deps.db.env(environment).selectFrom('verifications').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  if (!row) return null;
  const { identity } = openVerification(deps, environment, row);
  return 'legal_name' in identity ? identity.legal_name : `${identity.first_name} ${identity.last_name}`;
}

async function readVerification(deps: Deps, environment: Environment, accountId: string): Promise<VerificationView> {
  // Read fresh, not from the directory: the status shown must be the one the gate will apply.
  const env = deps.db.env(environment);
  const account = await env.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
  if (!account) throw new ApiError('ACCOUNT_NOT_FOUND', undefined, { account_id: accountId });
  const row = await env.selectFrom('verifications').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  return { account, verification: row && openVerification(deps, environment, row) };
}

export interface DecisionInput {
  status: string;
  reason?: string | undefined;
}

export type Decider = { kind: 'sandbox'; scope: Scope } | { kind: 'operator'; actor: OperatorActor; environment: Environment };

/** Sandbox: the platform decides its own connected accounts with a sandbox key. Production: only the operator. */
export async function decideVerification(deps: Deps, work: UnitOfWork, decider: Decider, accountId: string, input: DecisionInput): Promise<VerificationView> {
  let environment: Environment;
  if (decider.kind === 'sandbox') {
    if (decider.scope.environment !== 'sandbox') throw new ApiError('SANDBOX_ONLY');
    assertConnected(await resolvePathAccount(deps, decider.scope, accountId));
    environment = 'sandbox';
  } else {
    environment = decider.environment;
  }
  if (!(decisionStatuses as readonly string[]).includes(input.status)) {
    throw invalidField('status', `status must be one of ${decisionStatuses.join(', ')}.`);
  }
  const next = input.status as DecisionStatus;
  const reason = normaliseReason(input.reason) ?? defaultReasons[next];
  const decidedBy: VerificationDecider = decider.kind;
  const now = deps.now();

  const tx = await work.transaction();
  const account = await tx.env(environment).selectFrom('accounts').selectAll().where('id', '=', accountId).forUpdate().executeTakeFirst();
  // The operator names accounts by id alone; a platform account is not something it reviews.
  if (!account || account.type !== 'connected') throw new ApiError('ACCOUNT_NOT_FOUND', undefined, { account_id: accountId });
  const previous = account.verification_status;
  if (!isDecisionAllowed(previous, next)) {
    throw new ApiError('VERIFICATION_NOT_PENDING', undefined, { account_id: accountId, verification_status: previous, requested_status: next });
  }
  const env = tx.env(environment);
  // Withdrawing an approval switches every capability off in the same statement: the capabilities_need_approval
  // constraint would refuse the status change otherwise, and no request may use a capability after this commits.
  const withdrawn = next === 'approved' ? [] : account.capabilities;
  const updated = await env
    .updateTable('accounts')
    .set({ verification_status: next, capabilities: next === 'approved' ? account.capabilities : [], updated_at: now })
    .where('id', '=', accountId)
    .returningAll()
    .executeTakeFirstOrThrow();
  const verification = openVerification(
    deps,
    environment,
    await env
      .updateTable('verifications')
      .set({ reason, decided_at: now, decided_by: decidedBy, updated_at: now })
      .where('account_id', '=', accountId)
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
  await recordVerificationEvent(work, environment, updated, verification, previous);
  for (const capability of withdrawn) await recordCapabilityEvent(work, environment, updated, capability, 'inactive', 'verification_withdrawn');
  await deps.invalidation.publish(work, { kind: 'account', environment, accountId });
  return { account: updated, verification };
}

async function recordVerificationEvent(
  work: UnitOfWork,
  environment: Environment,
  account: AccountRow,
  verification: Pick<VerificationRow, 'kind' | 'reason' | 'submitted_at' | 'decided_at' | 'decided_by'>,
  previous: VerificationStatus,
): Promise<void> {
  // Identity data stays out of events: they leave PIK as webhooks.
  await recordEvent(work, environment, {
    platformId: account.platform_id,
    accountId: account.id,
    type: 'account.verification_updated',
    data: {
      account_id: account.id,
      verification_status: account.verification_status,
      previous_status: previous,
      kind: verification.kind,
      reason: account.verification_status === 'pending' ? null : verification.reason,
      submitted_at: verification.submitted_at.toISOString(),
      decided_at: verification.decided_at?.toISOString() ?? null,
      decided_by: verification.decided_by,
    },
  });
}

export interface QueueItem {
  account: AccountRow;
  verification: Verification;
}

export interface QueuePage {
  data: QueueItem[];
  nextCursor: string | null;
}

function decodeQueueCursor(cursor: string | undefined): { submittedAt: Date; accountId: string } | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    const submittedAt = new Date(String(at));
    if (typeof id !== 'string' || Number.isNaN(submittedAt.getTime())) throw new Error('bad cursor');
    return { submittedAt, accountId: id };
  } catch {
    throw new ApiError('INVALID_CURSOR');
  }
}

/**
 * The operator's review queue for one environment, oldest submission first. It reads only that environment's
 * schema, so the production queue cannot list a sandbox account whatever the filters.
 */
export async function listVerificationQueue(
  deps: Deps,
  _actor: OperatorActor,
  environment: Environment,
  page: { limit: number; cursor?: string | undefined; status?: VerificationStatus | undefined },
): Promise<QueuePage> {
  const after = decodeQueueCursor(page.cursor);
  let query = deps.db
    .env(environment)
    .selectFrom('verifications as v')
    .innerJoin('accounts as a', 'a.id', 'v.account_id')
    .selectAll('v')
    .select(['a.verification_status as account_status'])
    .where('a.verification_status', '=', page.status ?? 'pending');
  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb('v.submitted_at', '>', after.submittedAt),
        eb.and([eb('v.submitted_at', '=', after.submittedAt), eb('v.account_id', '>', after.accountId)]),
      ]),
    );
  }
  const rows = await query.orderBy('v.submitted_at').orderBy('v.account_id').limit(page.limit + 1).execute();
  const pageRows = rows.slice(0, page.limit);
  const accountIds = pageRows.map((r) => r.account_id);
  const accounts =
    accountIds.length === 0 ? [] : await deps.db.env(environment).selectFrom('accounts').selectAll().where('id', 'in', accountIds).execute();
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const data = pageRows.flatMap((row): QueueItem[] => {
    const account = byId.get(row.account_id);
    const { account_status: _status, ...verification } = row;
    return account ? [{ account, verification: openVerification(deps, environment, verification) }] : [];
  });
  const last = pageRows.at(-1);
  const nextCursor =
    rows.length > page.limit && last ? Buffer.from(JSON.stringify([last.submitted_at.toISOString(), last.account_id])).toString('base64url') : null;
  return { data, nextCursor };
}

/** One account's verification as the operator reviews it (connected accounts only). */
export async function getVerificationForOperator(
  deps: Deps,
  _actor: OperatorActor,
  environment: Environment,
  accountId: string,
): Promise<VerificationView> {
  const view = await readVerification(deps, environment, accountId);
  if (view.account.type !== 'connected') throw new ApiError('ACCOUNT_NOT_FOUND', undefined, { account_id: accountId });
  return view;
}

export function verificationKindFor(account: Pick<AccountRow, 'customer_type'>): VerificationKind | null {
  if (account.customer_type === 'individual') return 'kyc';
  if (account.customer_type === 'business') return 'kyb';
  return null;
}
