// /api/v1/sandbox/…: helpers that exist only in sandbox, so a developer can drive a whole flow without PIK staff.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { decideVerification } from '../../domain/accounts/verification.ts';
import type { Services } from '../../services.ts';
import { scopeOf } from '../api-auth.ts';
import { replyFromWork } from '../reply-from-work.ts';
import { AccountIdParams, bearerSecurity, errorResponses } from '../schemas.ts';
import { serializeVerification, VerificationSchema } from '../serializers/verification.ts';

export const DecisionBody = Type.Object(
  {
    status: Type.Union([Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('action_required')]),
    reason: Type.Optional(Type.String({ maxLength: 500, description: 'Shown to the platform in GET /accounts/{id}/verification.' })),
  },
  { additionalProperties: false },
);

export async function sandboxRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/sandbox/accounts/:id/verification',
    {
      config: { scope: 'platform', permission: 'sandbox:write', rateLimitGroup: 'general' },
      schema: {
        summary: "Sandbox only: decide a connected account's verification",
        description: 'approved, rejected or action_required, as PIK would in production. A production key gets 403 SANDBOX_ONLY.',
        tags: ['Sandbox'],
        security: bearerSecurity,
        params: AccountIdParams,
        body: DecisionBody,
        response: { 200: VerificationSchema, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const view = await decideVerification(services, work, { kind: 'sandbox', scope: scopeOf(request) }, request.params.id, request.body);
        return { status: 200, body: serializeVerification(view) };
      }),
  );
}
