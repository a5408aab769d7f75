// Sandbox-only money helpers: simulate a third party paying in, and the rail's answer to a payout.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { createSandboxDeposit } from '../../domain/ledger/deposits.ts';
import { decidePayout } from '../../domain/ledger/payouts.ts';
import { ApiError } from '../../lib/errors.ts';
import type { Services } from '../../services.ts';
import { scopeOf } from '../api-auth.ts';
import { currencies } from '../../lib/currencies.ts';
import { bearerSecurity, domainChecked, errorResponses, moneyErrorResponses, amountField, referenceRules } from '../schemas.ts';
import { replyFromWork } from '../reply-from-work.ts';
import { DepositSchema, PayoutSchema, serializeDeposit, serializePayout } from '../serializers/money.ts';

/** Before body validation, so a production key learns the endpoint is sandbox-only whatever it sent. */
async function requireSandbox(request: FastifyRequest): Promise<void> {
  if (scopeOf(request).environment !== 'sandbox') throw new ApiError('SANDBOX_ONLY');
}

const DepositBody = Type.Object(
  {
    account_id: Type.Optional(Type.String({ maxLength: 100, description: 'Default: the account in scope.' })),
    currency: domainChecked(currencies),
    amount: amountField('Decimal string, e.g. "100.00".'),
    reference: Type.Optional(Type.String({ maxLength: 140, ...referenceRules })),
    sender_name: Type.Optional(Type.String({ maxLength: 140 })),
    settle: Type.Optional(Type.Literal('immediately')),
  },
  { additionalProperties: false },
);

const SimulateBody = Type.Object(
  {
    status: Type.Union([Type.Literal('completed'), Type.Literal('failed')]),
    failure_reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export async function sandboxMoneyRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Sandbox'];

  app.post(
    '/sandbox/deposits',
    {
      config: { scope: 'any', idempotent: true, movesMoney: true, permission: 'sandbox:write', rateLimitGroup: 'payments' },
      preValidation: requireSandbox,
      schema: {
        summary: 'Sandbox: simulate an inbound payment to an account',
        description: 'A payment_in that is pending, then settled a few seconds later (or at once with settle: "immediately").',
        tags,
        security: bearerSecurity,
        body: DepositBody,
        response: { 201: DepositSchema, ...errorResponses, ...moneyErrorResponses },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const b = request.body;
        const row = await createSandboxDeposit(services, work, scopeOf(request), {
          accountId: b.account_id,
          currency: b.currency,
          amount: b.amount,
          reference: b.reference,
          senderName: b.sender_name,
          settle: b.settle,
        });
        return { status: 201, body: serializeDeposit(row) };
      }),
  );

  app.post(
    '/sandbox/payouts/:id/simulate',
    {
      config: { scope: 'any', idempotent: true, movesMoney: true, permission: 'sandbox:write', rateLimitGroup: 'payouts' },
      preValidation: requireSandbox,
      schema: {
        summary: "Sandbox: the rail's answer to a pending payout",
        tags,
        security: bearerSecurity,
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        body: SimulateBody,
        response: { 200: PayoutSchema, ...errorResponses, ...moneyErrorResponses },
      },
    },
    async (request, reply) => {
      const scope = scopeOf(request);
      const { status, failure_reason } = request.body;
      const outcome =
        status === 'completed'
          ? ({ status: 'completed' } as const)
          : ({ status: 'failed', failureReason: failure_reason ?? 'Simulated failure (sandbox).' } as const);
      return replyFromWork(services, request, reply, async (work) => ({
        status: 200,
        body: serializePayout(await decidePayout(services, work, scope.environment, request.params.id, outcome, scope)),
      }));
    },
  );
}
