// /admin/v1: the operator's production review queue and decisions, and platform capabilities per environment.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { operator } from '../../lib/actor.ts';
import { changePlatformCapability } from '../../domain/accounts/capabilities.ts';
import { decideVerification, getVerificationForOperator, listVerificationQueue } from '../../domain/accounts/verification.ts';
import type { KybIdentity, KycIdentity } from '../../domain/accounts/identity.ts';
import type { Services } from '../../services.ts';
import type { Environment } from '../../lib/environments.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { replyFromWork } from '../reply-from-work.ts';
import { DecisionBody } from '../routes/sandbox.ts';
import { capabilities } from '../../lib/capabilities.ts';
import { domainCheckedString, EnvironmentSchema, listBody, listOf, operatorSecurity } from '../schemas.ts';
import { CapabilityListSchema, serializeCapabilities, serializeVerification, VerificationSchema } from '../serializers/verification.ts';

const AccountParams = Type.Object({ account_id: Type.String({ maxLength: 100 }) });

const QueueItemSchema = Type.Object({
  account_id: Type.String(),
  platform_id: Type.String(),
  environment: EnvironmentSchema,
  customer_type: Type.Union([Type.String(), Type.Null()]),
  kind: Type.String(),
  name: Type.String(),
  country: Type.Union([Type.String(), Type.Null()]),
  verification_status: Type.String(),
  submission_count: Type.Integer(),
  submitted_at: Type.String({ format: 'date-time' }),
});

export async function adminOnboardingRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Operator'];

  app.get(
    '/verifications',
    {
      schema: {
        summary: 'The review queue of one environment (pending by default), oldest submission first',
        tags,
        security: operatorSecurity,
        querystring: Type.Object(
          {
            environment: EnvironmentSchema,
            status: Type.Optional(Type.Union(['pending', 'approved', 'rejected', 'action_required'].map((s) => Type.Literal(s)))),
            limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
            cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(QueueItemSchema) },
      },
    },
    async (request) => {
      const { environment, status, limit, cursor } = request.query;
      const page = await listVerificationQueue(services, operator, environment, {
        limit,
        cursor,
        status: status as 'pending' | 'approved' | 'rejected' | 'action_required' | undefined,
      });
      return listBody(
        page.data.map(({ account, verification }) => {
          const identity = verification.identity as Partial<KycIdentity & KybIdentity>;
          const name = verification.kind === 'kyb' ? (identity.legal_name ?? '') : `${identity.first_name ?? ''} ${identity.last_name ?? ''}`.trim();
          return {
            account_id: account.id,
            platform_id: account.platform_id,
            environment,
            customer_type: account.customer_type,
            kind: verification.kind,
            name,
            country: account.country,
            verification_status: account.verification_status,
            submission_count: verification.submission_count,
            submitted_at: verification.submitted_at.toISOString(),
          };
        }),
        page.nextCursor,
      );
    },
  );

  app.get(
    '/verifications/:account_id',
    {
      schema: {
        summary: "One account's verification, with its identity (id number masked)",
        tags,
        security: operatorSecurity,
        params: AccountParams,
        querystring: Type.Object({ environment: EnvironmentSchema }, { additionalProperties: false }),
        response: { 200: VerificationSchema },
      },
    },
    async (request) =>
      serializeVerification(await getVerificationForOperator(services, operator, request.query.environment, request.params.account_id)),
  );

  app.post(
    '/verifications/:account_id/decision',
    {
      schema: {
        summary: 'Decide a verification: approved, rejected or action_required (with a reason)',
        tags,
        security: operatorSecurity,
        params: AccountParams,
        body: Type.Object({ environment: EnvironmentSchema, ...DecisionBody.properties }, { additionalProperties: false }),
        response: { 200: VerificationSchema },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const { environment, status, reason } = request.body;
        const view = await decideVerification(services, work, { kind: 'operator', actor: operator, environment }, request.params.account_id, { status, reason });
        work.audit({ action: 'verification.decided', platformId: view.account.platform_id, environment, targetType: 'account', targetId: request.params.account_id, details: { status, reason: reason ?? null } });
        return { status: 200, body: serializeVerification(view) };
      }),
  );

  /** The operator switches a platform's capability: the change, its audit entry, the new list. */
  const changeCapability = async (work: UnitOfWork, params: { id: string; name: string }, environment: Environment, change: 'activate' | 'deactivate') => {
    const view = await changePlatformCapability(services, work, operator, { platformId: params.id, environment, capability: params.name, change });
    work.audit({
      action: change === 'activate' ? 'capability.enabled' : 'capability.disabled',
      platformId: params.id,
      environment,
      targetType: 'account',
      targetId: params.id,
      details: { capability: params.name },
    });
    return { status: 200, body: serializeCapabilities(view) };
  };

  const capabilityRoute = { params: Type.Object({ id: Type.String({ maxLength: 100 }), name: domainCheckedString(capabilities, { maxLength: 100 }) }) };
  app.post(
    '/platforms/:id/capabilities/:name',
    {
      schema: {
        summary: "Enable a capability on a platform account in one environment (its keys inherit it)",
        tags,
        security: operatorSecurity,
        ...capabilityRoute,
        body: Type.Object({ environment: EnvironmentSchema }, { additionalProperties: false }),
        response: { 200: CapabilityListSchema },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, (work) => changeCapability(work, request.params, request.body.environment, 'activate')),
  );

  app.delete(
    '/platforms/:id/capabilities/:name',
    {
      schema: {
        summary: 'Disable a capability on a platform account in one environment (takes effect on the next request)',
        tags,
        security: operatorSecurity,
        ...capabilityRoute,
        querystring: Type.Object({ environment: EnvironmentSchema }, { additionalProperties: false }),
        response: { 200: CapabilityListSchema },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, (work) => changeCapability(work, request.params, request.query.environment, 'deactivate')),
  );
}
