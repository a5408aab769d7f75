// /admin/v1/fx: the operator sets and lists the per-environment rate table, and reads PIK's FX position.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { operator } from '../../lib/actor.ts';
import { readFxPositions } from '../../domain/fx/conversions.ts';
import { listRates, setRate } from '../../domain/fx/rate-source.ts';
import type { Services } from '../../services.ts';
import { maxSpreadBps } from '../../lib/fx-math.ts';
import { EnvironmentSchema, listBody, listOf, operatorSecurity } from '../schemas.ts';
import { replyFromWork } from '../reply-from-work.ts';
import { FxPositionsSchema, FxRateRowSchema, serializeFxPositions, serializeFxRateRow } from '../serializers/fx.ts';

const EnvironmentQuery = Type.Object({ environment: Type.Optional(EnvironmentSchema) }, { additionalProperties: false });

export async function adminFxRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Operator'];

  app.put(
    '/fx/rates',
    {
      schema: {
        summary: 'Set the mid rate and spread of one currency pair (replaces the pair in either direction)',
        tags,
        security: operatorSecurity,
        body: Type.Object(
          {
            environment: EnvironmentSchema,
            pair: Type.String({ maxLength: 20, description: 'BASE/QUOTE, e.g. "AUD/USD": 1 AUD = mid USD.' }),
            mid: Type.String({ maxLength: 30, description: 'A plain decimal, e.g. "0.6512".' }),
            spread_bps: Type.Unknown({ description: `PIK's spread off the mid, 0–${maxSpreadBps} basis points.` }),
          },
          { additionalProperties: false },
        ),
        response: { 200: FxRateRowSchema },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const b = request.body;
        const row = await setRate(services, work, operator, b.environment, { pair: b.pair, mid: b.mid, spreadBps: b.spread_bps });
        return { status: 200, body: serializeFxRateRow(row) };
      }),
  );

  app.get(
    '/fx/rates',
    {
      schema: {
        summary: 'The rate table of an environment (default production)',
        tags,
        security: operatorSecurity,
        querystring: EnvironmentQuery,
        response: { 200: listOf(FxRateRowSchema, { environment: Type.String() }) },
      },
    },
    async (request) => {
      const environment = request.query.environment ?? 'production';
      return { environment, ...listBody((await listRates(services, operator, environment)).map(serializeFxRateRow)) };
    },
  );

  app.get(
    '/fx/positions',
    {
      schema: {
        summary: "PIK's FX position per currency in an environment (default production)",
        tags,
        security: operatorSecurity,
        querystring: EnvironmentQuery,
        response: { 200: FxPositionsSchema },
      },
    },
    async (request) => {
      const environment = request.query.environment ?? 'production';
      return serializeFxPositions(environment, await readFxPositions(services, operator, environment));
    },
  );
}
