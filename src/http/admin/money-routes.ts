// /admin/v1 money: the operator records inbound funds from the bank statement and answers payouts for the rail.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { operator } from '../../lib/actor.ts';
import { recordOperatorDeposit } from '../../domain/ledger/deposits.ts';
import { decidePayout, listPayoutsForOperator } from '../../domain/ledger/payouts.ts';
import { listUnmatchedFunds, resolveUnmatchedFunds } from '../../domain/payment-links/unmatched.ts';
import { unmatchedStatuses } from '../../db/schema.ts';
import { serializeUnmatchedFunds, UnmatchedFundsSchema } from '../serializers/payment-links.ts';
import type { Services } from '../../services.ts';
import { currencies } from '../../lib/currencies.ts';
import { domainChecked, EnvironmentSchema, listBody, listOf, operatorSecurity, stringEnum, amountField, referenceRules } from '../schemas.ts';
import { replyFromWork } from '../reply-from-work.ts';
import { operatorEnvironmentOf } from './operator-auth.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import type { PayoutRow } from '../../db/schema.ts';
import type { Environment } from '../../lib/environments.ts';
import { DepositSchema, PayoutSchema, serializeDeposit, serializePayout } from '../serializers/money.ts';

const PayoutStatus = Type.Union([Type.Literal('pending'), Type.Literal('completed'), Type.Literal('failed')]);
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

/** The operator settled a payout (completed or failed): its audit entry, with the change it commits with. */
function auditPayout(work: UnitOfWork, environment: Environment, payout: PayoutRow): void {
  work.audit({
    action: 'payout.settled',
    platformId: payout.platform_id,
    environment,
    targetType: 'payout',
    targetId: payout.id,
    details: { account_id: payout.account_id, status: payout.status, currency: payout.currency, amount: serializePayout(payout).amount, failure_reason: payout.failure_reason },
  });
}

export async function adminMoneyRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Operator'];

  // Money writes: idempotent (Idempotency-Key, the operator's own keys) so that a retry after a timeout replays the
  // first answer instead of moving the money again; see docs/ledger.md.
  const moneyWrite = { idempotent: true, movesMoney: true } as const;

  app.post(
    '/deposits',
    {
      config: moneyWrite,
      schema: {
        summary: 'Record inbound funds for an account (settled at once)',
        tags,
        security: operatorSecurity,
        body: Type.Object(
          {
            environment: EnvironmentSchema,
            account_id: Type.String({ maxLength: 100 }),
            currency: domainChecked(currencies),
            amount: amountField('Decimal string, e.g. "100.00".'),
            reference: Type.String({ minLength: 1, maxLength: 140, ...referenceRules }),
            sender_name: Type.Optional(Type.String({ maxLength: 140 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: DepositSchema },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const b = request.body;
        const row = await recordOperatorDeposit(services, work, operator, {
          environment: b.environment,
          accountId: b.account_id,
          currency: b.currency,
          amount: b.amount,
          reference: b.reference,
          senderName: b.sender_name,
        });
        work.audit({
          action: 'deposit.recorded',
          platformId: row.platform_id,
          environment: b.environment,
          targetType: 'deposit',
          targetId: row.id,
          details: { account_id: row.account_id, currency: row.currency, amount: serializeDeposit(row).amount, reference: row.reference },
        });
        return { status: 201, body: serializeDeposit(row) };
      }),
  );

  app.get(
    '/payouts',
    {
      schema: {
        summary: 'List payouts, oldest first (default: pending production payouts waiting for the rail)',
        tags,
        security: operatorSecurity,
        querystring: Type.Object(
          {
            environment: Type.Optional(EnvironmentSchema),
            status: Type.Optional(PayoutStatus),
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(PayoutSchema) },
      },
    },
    async (request) => {
      const { environment, status, limit } = request.query;
      // One more than asked tells whether more wait (has_more); this list has no cursor: decide these, then list again.
      const rows = await listPayoutsForOperator(services, operator, environment ?? 'production', { status: status ?? 'pending', limit: limit + 1 });
      return listBody(rows.slice(0, limit).map(serializePayout), null, rows.length > limit);
    },
  );

  const EnvironmentBody = Type.Object({ environment: Type.Optional(EnvironmentSchema) }, { additionalProperties: false });

  app.post(
    '/payouts/:id/complete',
    {
      config: moneyWrite,
      schema: {
        summary: 'The rail paid the payout out (repeating it returns the completed payout; a failed one is a 409)',
        tags,
        security: operatorSecurity,
        params: IdParams,
        body: Type.Optional(EnvironmentBody),
        response: { 200: PayoutSchema },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const environment = operatorEnvironmentOf(request.body);
        const payout = await decidePayout(services, work, environment, request.params.id, { status: 'completed' });
        auditPayout(work, environment, payout);
        return { status: 200, body: serializePayout(payout) };
      }),
  );

  app.post(
    '/payouts/:id/fail',
    {
      config: moneyWrite,
      schema: {
        summary: 'The rail rejected the payout: the hold is released to the account (repeating it returns the failed payout)',
        tags,
        security: operatorSecurity,
        params: IdParams,
        body: Type.Object(
          { environment: Type.Optional(EnvironmentSchema), reason: Type.String({ minLength: 1, maxLength: 500 }) },
          { additionalProperties: false },
        ),
        response: { 200: PayoutSchema },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const environment = operatorEnvironmentOf(request.body);
        const payout = await decidePayout(services, work, environment, request.params.id, { status: 'failed', failureReason: request.body.reason, reasonField: 'reason' });
        auditPayout(work, environment, payout);
        return { status: 200, body: serializePayout(payout) };
      }),
  );

  app.get(
    '/unmatched-funds',
    {
      schema: {
        summary: 'List unmatched funds, oldest first (default: held in production): payment-link money no active link could take',
        tags,
        security: operatorSecurity,
        querystring: Type.Object(
          {
            environment: Type.Optional(EnvironmentSchema),
            status: Type.Optional(stringEnum(unmatchedStatuses)),
            platform_id: Type.Optional(Type.String({ maxLength: 100 })),
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(UnmatchedFundsSchema) },
      },
    },
    async (request) => {
      const { environment, status, platform_id, limit } = request.query;
      const rows = await listUnmatchedFunds(services, operator, environment ?? 'production', { status: status ?? 'held', platformId: platform_id, limit: limit + 1 });
      return listBody(rows.slice(0, limit).map(serializeUnmatchedFunds), null, rows.length > limit);
    },
  );

  const ResolveBody = Type.Object(
    { environment: Type.Optional(EnvironmentSchema), note: Type.Optional(Type.String({ maxLength: 500 })) },
    { additionalProperties: false },
  );
  for (const [path, to, summary] of [
    ['/unmatched-funds/:id/assign', 'assigned', 'Credit held funds to the account they were paid to (a settled payment_in; repeating it returns them)'],
    ['/unmatched-funds/:id/return', 'returned', 'Record held funds as sent back to the payer (repeating it returns them)'],
  ] as const) {
    app.post(
      path,
      {
        config: moneyWrite,
        schema: { summary, tags, security: operatorSecurity, params: IdParams, body: Type.Optional(ResolveBody), response: { 200: UnmatchedFundsSchema } },
      },
      async (request, reply) =>
        replyFromWork(services, request, reply, async (work) => ({
          status: 200,
          body: serializeUnmatchedFunds(
            await resolveUnmatchedFunds(services, work, operator, operatorEnvironmentOf(request.body), request.params.id, { to, note: request.body?.note }),
          ),
        })),
    );
  }
}
