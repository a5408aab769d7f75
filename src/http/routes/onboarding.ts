// /api/v1/accounts/{id}/kyc|kyb|verification|capabilities|receiving-details: onboarding a connected account.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { changeConnectedCapability, listCapabilities } from '../../domain/accounts/capabilities.ts';
import { auStates, type AddressInput } from '../../domain/accounts/identity.ts';
import { getReceivingDetails } from '../../domain/accounts/receiving-details.ts';
import { getVerification, submitIdentity } from '../../domain/accounts/verification.ts';
import type { Services } from '../../services.ts';
import { scopeOf } from '../api-auth.ts';
import { capabilities } from '../../lib/capabilities.ts';
import { AccountIdParams, bearerSecurity, domainCheckedString, errorResponses, published, countryRules, nonBlankRules } from '../schemas.ts';
import { replyFromWork } from '../reply-from-work.ts';
import { CapabilityListSchema, serializeCapabilities, serializeVerification, VerificationSchema } from '../serializers/verification.ts';
import { ReceivingDetailsSchema, serializeReceivingDetails } from '../serializers/receiving-details.ts';

const short = (maxLength: number, description?: string, rules: Record<string, unknown> = {}) => Type.String({ maxLength, ...(description ? { description } : {}), ...rules });
const name = (example: string) => short(100, undefined, nonBlankRules(example));
const birthDate = (description: string) => short(10, description, published({ format: 'date', examples: ['1990-04-12'] }));
const country = () => short(2, 'ISO 3166-1 alpha-2', countryRules);

const AddressBody = Type.Object(
  {
    line1: short(200, undefined, nonBlankRules('1 George Street')),
    line2: Type.Optional(short(200)),
    city: short(100, undefined, nonBlankRules('Sydney')),
    state: Type.Optional(short(100, `For AU: ${auStates.join(', ')}`, published({ examples: ['NSW'] }))),
    postcode: Type.Optional(short(20, 'For AU: 4 digits belonging to the state', published({ examples: ['2000'] }))),
    country: country(),
  },
  {
    additionalProperties: false,
    // An Australian address needs a state and a postcode of that state (the domain checks the range too).
    ...published({
      if: { properties: { country: { const: 'AU' } }, required: ['country'] },
      then: { required: ['state', 'postcode'], properties: { state: { enum: auStates }, postcode: { pattern: '^[0-9]{4}$' } } },
    }),
  },
);

const KycBody = Type.Object(
  {
    first_name: name('Olivia'),
    last_name: name('Nguyen'),
    date_of_birth: birthDate('YYYY-MM-DD; the person must be 18 or older'),
    nationality: country(),
    id_type: Type.Union([Type.Literal('passport'), Type.Literal('drivers_licence'), Type.Literal('national_id')]),
    id_number: short(40, 'Shown back only masked'),
    address: AddressBody,
  },
  { additionalProperties: false },
);

const KybBody = Type.Object(
  {
    legal_name: short(200, undefined, nonBlankRules('Harbour Widgets Pty Ltd')),
    registration_number: short(50, 'For AU: an ABN (11 digits) or ACN (9 digits)'),
    country_of_incorporation: country(),
    business_type: Type.Union(['company', 'partnership', 'trust', 'sole_trader', 'non_profit'].map((t) => Type.Literal(t))),
    registered_address: AddressBody,
    beneficial_owners: Type.Array(
      Type.Object(
        {
          first_name: name('Ada'),
          last_name: name('Lee'),
          date_of_birth: birthDate('YYYY-MM-DD'),
          nationality: country(),
          ownership_percentage: Type.Number({ description: '25 to 100, at most two decimals', ...published({ minimum: 25, maximum: 100, multipleOf: 0.01, examples: [60] }) }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 4, description: 'Every person holding 25 % or more; the percentages add up to at most 100.' },
    ),
    beneficial_owners_complete: Type.Boolean({ description: 'Must be true: you confirm that every holder of 25 % or more is listed.' }),
  },
  { additionalProperties: false },
);

// An unknown name is the domain's UNKNOWN_CAPABILITY (with the known ones), not a validation error.
const CapabilityParams = Type.Object({ id: AccountIdParams.properties.id, name: domainCheckedString(capabilities, { maxLength: 100 }) });

function toAddress(address: { line1: string; line2?: string; city: string; state?: string; postcode?: string; country: string }): AddressInput {
  return { line1: address.line1, line2: address.line2, city: address.city, state: address.state, postcode: address.postcode, country: address.country };
}

export async function onboardingRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Onboarding'];

  app.post(
    '/accounts/:id/kyc',
    {
      config: { scope: 'platform', idempotent: true, permission: 'onboarding:write', rateLimitGroup: 'general' },
      schema: {
        summary: "Submit an individual's identity (KYC)",
        description: 'Moves the account from unverified or action_required to pending.',
        tags,
        security: bearerSecurity,
        params: AccountIdParams,
        body: KycBody,
        response: { 200: VerificationSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const b = request.body;
        const view = await submitIdentity(services, work, scopeOf(request), request.params.id, {
          kind: 'kyc',
          input: {
            firstName: b.first_name,
            lastName: b.last_name,
            dateOfBirth: b.date_of_birth,
            nationality: b.nationality,
            idType: b.id_type,
            idNumber: b.id_number,
            address: toAddress(b.address),
          },
        });
        return { status: 200, body: serializeVerification(view) };
      }),
  );

  app.post(
    '/accounts/:id/kyb',
    {
      config: { scope: 'platform', idempotent: true, permission: 'onboarding:write', rateLimitGroup: 'general' },
      schema: {
        summary: "Submit a business's identity (KYB)",
        description: 'Moves the account from unverified or action_required to pending.',
        tags,
        security: bearerSecurity,
        params: AccountIdParams,
        body: KybBody,
        response: { 200: VerificationSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const b = request.body;
        const view = await submitIdentity(services, work, scopeOf(request), request.params.id, {
          kind: 'kyb',
          input: {
            legalName: b.legal_name,
            registrationNumber: b.registration_number,
            countryOfIncorporation: b.country_of_incorporation,
            businessType: b.business_type,
            registeredAddress: toAddress(b.registered_address),
            beneficialOwners: b.beneficial_owners.map((o) => ({
              firstName: o.first_name,
              lastName: o.last_name,
              dateOfBirth: o.date_of_birth,
              nationality: o.nationality,
              ownershipPercentage: o.ownership_percentage,
            })),
            beneficialOwnersComplete: b.beneficial_owners_complete,
          },
        });
        return { status: 200, body: serializeVerification(view) };
      }),
  );

  app.get(
    '/accounts/:id/verification',
    {
      config: { scope: 'any', permission: 'onboarding:read', rateLimitGroup: 'general' },
      schema: {
        summary: 'Verification status, reason, times and requirements',
        tags,
        security: bearerSecurity,
        params: AccountIdParams,
        response: { 200: VerificationSchema, ...errorResponses },
      },
    },
    async (request) => serializeVerification(await getVerification(services, scopeOf(request), request.params.id)),
  );

  app.get(
    '/accounts/:id/capabilities',
    {
      config: { scope: 'any', permission: 'onboarding:read', rateLimitGroup: 'general' },
      schema: {
        summary: "An account's capabilities",
        tags,
        security: bearerSecurity,
        params: AccountIdParams,
        response: { 200: CapabilityListSchema, ...errorResponses },
      },
    },
    async (request) => serializeCapabilities(await listCapabilities(services, scopeOf(request), request.params.id)),
  );

  for (const [method, change] of [['POST', 'activate'], ['DELETE', 'deactivate']] as const) {
    app.route({
      method,
      url: '/accounts/:id/capabilities/:name',
      config: { scope: 'platform', permission: 'onboarding:write', rateLimitGroup: 'general' },
      schema: {
        summary: change === 'activate' ? 'Activate a capability (the account must be approved)' : 'Deactivate a capability',
        tags,
        security: bearerSecurity,
        params: CapabilityParams,
        response: { 200: CapabilityListSchema, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
      handler: async (request, reply) => {
        const { id, name } = request.params as { id: string; name: string };
        return replyFromWork(services, request, reply, async (work) => ({
          status: 200,
          body: serializeCapabilities(await changeConnectedCapability(services, work, scopeOf(request), id, name, change)),
        }));
      },
    });
  }

  app.get(
    '/accounts/:id/receiving-details',
    {
      config: { scope: 'any', permission: 'virtual_accounts:read', rateLimitGroup: 'general' },
      schema: {
        summary: 'Where third parties can pay the account in',
        description: 'AUD bank details once a virtual account is issued, and an address on Solana for each currency that moves there.',
        tags,
        security: bearerSecurity,
        params: AccountIdParams,
        response: { 200: ReceivingDetailsSchema, ...errorResponses },
      },
    },
    async (request) => serializeReceivingDetails(await getReceivingDetails(services, scopeOf(request), request.params.id)),
  );
}
