// Verification and capabilities as the API shows them. Identity is shown back with the id number masked, always.
import Type from 'typebox';
import { nullable, stringEnum } from '../schemas.ts';
import type { AccountRow } from '../../db/schema.ts';
import { capabilities } from '../../lib/capabilities.ts';
import { maskIdNumber, type KybIdentity, type KycIdentity } from '../../domain/accounts/identity.ts';
import { verificationKindFor, type Verification, type VerificationView } from '../../domain/accounts/verification.ts';


const AddressSchema = Type.Object({
  line1: Type.String(),
  line2: nullable(Type.String()),
  city: Type.String(),
  state: nullable(Type.String()),
  postcode: nullable(Type.String()),
  country: Type.String(),
});

const KycSummary = Type.Object({
  first_name: Type.String(),
  last_name: Type.String(),
  date_of_birth: Type.String(),
  nationality: Type.String(),
  id_type: Type.String(),
  id_number_masked: Type.String(),
  address: AddressSchema,
});

const KybSummary = Type.Object({
  legal_name: Type.String(),
  registration_number: Type.String(),
  country_of_incorporation: Type.String(),
  business_type: Type.String(),
  registered_address: AddressSchema,
  beneficial_owners: Type.Array(
    Type.Object({
      first_name: Type.String(),
      last_name: Type.String(),
      date_of_birth: Type.String(),
      nationality: Type.String(),
      ownership_percentage: Type.Number(),
    }),
  ),
});

export const VerificationSchema = Type.Object(
  {
    object: Type.Literal('verification'),
    account_id: Type.String(),
    status: Type.String({ description: 'unverified, pending, approved, rejected or action_required' }),
    kind: nullable(Type.Union([Type.Literal('kyc'), Type.Literal('kyb')])),
    reason: nullable(Type.String()),
    submitted_at: nullable(Type.String({ format: 'date-time' })),
    decided_at: nullable(Type.String({ format: 'date-time' })),
    decided_by: nullable(Type.String()),
    submission_count: Type.Integer(),
    requirements: Type.Object({
      currently_due: Type.Array(Type.String(), { description: 'What must be submitted now: "kyc" or "kyb".' }),
      in_review: Type.Array(Type.String(), { description: 'What PIK is reviewing.' }),
    }),
    next_step: Type.String(),
    identity: nullable(Type.Union([KycSummary, KybSummary])),
  },
  { $id: 'Verification' },
);

function nextStep(account: AccountRow, kind: 'kyc' | 'kyb' | null): string {
  const submit = kind ? `submit the identity with POST /api/v1/accounts/${account.id}/${kind}` : 'nothing to submit';
  switch (account.verification_status) {
    case 'unverified':
      return `To start verification, ${submit}.`;
    case 'action_required':
      return `Correct what the reason says, then ${submit} again.`;
    case 'pending':
      return 'The identity is being reviewed; the decision arrives as an account.verification_updated event.';
    case 'approved':
      return `Verified. Activate capabilities with POST /api/v1/accounts/${account.id}/capabilities/{name}.`;
    case 'rejected':
      return 'Verification was rejected; this account cannot be verified.';
  }
}

function identitySummary(verification: Verification) {
  if (verification.kind === 'kyc') {
    const { id_number, ...rest } = verification.identity as KycIdentity;
    return { ...rest, id_number_masked: maskIdNumber(id_number) };
  }
  const kyb = verification.identity as KybIdentity;
  return {
    ...kyb,
    beneficial_owners: kyb.beneficial_owners.map(({ ownership_basis_points, ...owner }) => ({ ...owner, ownership_percentage: ownership_basis_points / 100 })),
  };
}

export function serializeVerification({ account, verification }: VerificationView) {
  const kind = verificationKindFor(account);
  const status = account.verification_status;
  const due = kind && (status === 'unverified' || status === 'action_required') ? [kind] : [];
  const inReview = kind && status === 'pending' ? [kind] : [];
  return {
    object: 'verification' as const,
    account_id: account.id,
    status,
    kind: verification?.kind ?? kind,
    reason: status === 'pending' ? null : (verification?.reason ?? null),
    submitted_at: verification?.submitted_at.toISOString() ?? null,
    decided_at: verification?.decided_at?.toISOString() ?? null,
    decided_by: verification?.decided_by ?? null,
    submission_count: verification?.submission_count ?? 0,
    requirements: { currently_due: due, in_review: inReview },
    next_step: account.type === 'platform' ? 'The platform account is verified by PIK.' : nextStep(account, kind),
    identity: verification ? identitySummary(verification) : null,
  };
}

export const CapabilityListSchema = Type.Object(
  {
    object: Type.Literal('list'),
    account_id: Type.String(),
    verification_status: Type.String(),
    has_more: Type.Boolean({ description: 'Always false: every capability is on one page.' }),
    next_cursor: Type.Null(),
    data: Type.Array(
      Type.Object({
        name: stringEnum(capabilities),
        status: Type.Union([Type.Literal('active'), Type.Literal('inactive')]),
        can_activate: Type.Boolean({ description: 'true when the account is approved and the capability is inactive.' }),
      }),
    ),
  },
  { $id: 'CapabilityList' },
);

export function serializeCapabilities(account: AccountRow) {
  return {
    object: 'list' as const,
    account_id: account.id,
    verification_status: account.verification_status,
    has_more: false,
    next_cursor: null,
    data: capabilities.map((name) => {
      const isActive = account.capabilities.includes(name);
      return {
        name,
        status: isActive ? ('active' as const) : ('inactive' as const),
        can_activate: account.type === 'connected' && account.verification_status === 'approved' && !isActive,
      };
    }),
  };
}
