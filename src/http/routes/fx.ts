// /api/v1/fx: indicative rates, locked single-use quotes, conversions (the account in scope; needs fx_conversion).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { createConversion, createQuote, getConversion, getIndicativeRate, getQuote, listConversions, quoteStatus } from '../../domain/fx/conversions.ts';
import type { Services } from '../../services.ts';
import { scopeOf } from '../api-auth.ts';
import { currencies, describeCurrencies } from '../../lib/currencies.ts';

import { bearerSecurity, domainChecked, domainCheckedString, listBody, listOf, listQuery, amountField, errorResponses, referenceRules } from '../schemas.ts';
import { replyFromWork } from '../reply-from-work.ts';
import { FxConversionSchema, FxQuoteSchema, FxRateSchema, serializeFxConversion, serializeFxQuote, serializeFxRate } from '../serializers/fx.ts';


const pairFields = {
  sell_currency: domainChecked(currencies, { description: `The currency the account sells: ${describeCurrencies()}.` }),
  buy_currency: domainChecked(currencies, { description: `The currency the account buys; another of ${describeCurrencies()}.` }),
  sell_amount: Type.Optional(amountField('Decimal string in the sell currency. Send exactly one of sell_amount and buy_amount.')),
  buy_amount: Type.Optional(amountField('Decimal string in the buy currency. Send exactly one of sell_amount and buy_amount.')),
};

const QuoteBody = Type.Object(pairFields, { additionalProperties: false });

const ConversionBody = Type.Object(
  {
    ...pairFields,
    conversion_type: Type.Union([Type.Literal('rate'), Type.Literal('quote')], { description: '"rate": at the current rate; "quote": at a quote\u2019s locked rate and amounts.' }),
    quote_id: Type.Optional(Type.String({ maxLength: 100, description: 'qt_…, with conversion_type "quote".' })),
    reference: Type.Optional(Type.String({ maxLength: 140, description: 'Unique per account, forever (shared with transfers and payouts).', ...referenceRules })),
  },
  { additionalProperties: false },
);

const RatesQuery = Type.Object(
  {
    sell_currency: domainCheckedString(currencies, { maxLength: 16 }),
    buy_currency: domainCheckedString(currencies, { maxLength: 16 }),
    sell_amount: Type.Optional(Type.String({ maxLength: 40 })),
    buy_amount: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

export async function fxRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['FX'];
  // Reads need fx:read, quotes and conversions fx:write (a restricted key: docs/authentication.md).
  const config = { scope: 'any', rateLimitGroup: 'fx', permission: 'fx:read' } as const;
  const writing = { ...config, permission: 'fx:write' } as const;

  app.get(
    '/fx/rates',
    {
      config,
      schema: {
        summary: 'The indicative rate for a currency pair (and both amounts when one is given)',
        description: 'Not locked: a quote locks a rate. Pairs without a direct rate are crossed through USD.',
        tags,
        security: bearerSecurity,
        querystring: RatesQuery,
        response: { 200: FxRateSchema, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      return serializeFxRate(
        await getIndicativeRate(services, scopeOf(request), { sellCurrency: q.sell_currency, buyCurrency: q.buy_currency, sellAmount: q.sell_amount, buyAmount: q.buy_amount }),
      );
    },
  );

  app.post(
    '/fx/quotes',
    {
      config: { ...writing, idempotent: true },
      schema: {
        summary: 'Lock a rate and both amounts for a short time (single use)',
        description: 'Valid for PIK_FX_QUOTE_TTL_SECONDS (default 30), for the account in scope only.',
        tags,
        security: bearerSecurity,
        body: QuoteBody,
        response: {
          201: FxQuoteSchema,
          ...errorResponses,
        },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const b = request.body;
        const quote = await createQuote(services, work, scopeOf(request), { sellCurrency: b.sell_currency, buyCurrency: b.buy_currency, sellAmount: b.sell_amount, buyAmount: b.buy_amount });
        return { status: 201, body: serializeFxQuote(quote, 'active') };
      }),
  );

  app.get(
    '/fx/quotes/:id',
    {
      config,
      schema: {
        summary: 'Read a quote of the account in scope (status active, used or expired)',
        tags,
        security: bearerSecurity,
        params: IdParams,
        response: { 200: FxQuoteSchema, ...errorResponses },
      },
    },
    async (request) => {
      const quote = await getQuote(services, scopeOf(request), request.params.id);
      return serializeFxQuote(quote, quoteStatus(quote, services.now()));
    },
  );

  app.post(
    '/fx/conversions',
    {
      config: { ...writing, idempotent: true, movesMoney: true },
      schema: {
        summary: 'Convert between two currencies of the wallet in scope, at the current rate or a quote',
        description: 'One atomic movement: the sell amount leaves the wallet, the buy amount arrives. Amounts are rounded in PIK\u2019s favour (docs/fx.md).',
        tags,
        security: bearerSecurity,
        body: ConversionBody,
        response: {
          201: FxConversionSchema,
          ...errorResponses,
        },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const b = request.body;
        const conversion = await createConversion(services, work, scopeOf(request), {
          sellCurrency: b.sell_currency,
          buyCurrency: b.buy_currency,
          sellAmount: b.sell_amount,
          buyAmount: b.buy_amount,
          conversionType: b.conversion_type,
          quoteId: b.quote_id,
          reference: b.reference,
        });
        return { status: 201, body: serializeFxConversion(conversion) };
      }),
  );

  app.get(
    '/fx/conversions',
    {
      config,
      schema: {
        summary: 'List the conversions of the account in scope, newest first',
        tags,
        security: bearerSecurity,
        querystring: listQuery({}),
        response: { 200: listOf(FxConversionSchema), ...errorResponses },
      },
    },
    async (request) => {
      const page = await listConversions(services, scopeOf(request), request.query);
      return listBody(page.data.map(serializeFxConversion), page.nextCursor);
    },
  );

  app.get(
    '/fx/conversions/:id',
    {
      config,
      schema: {
        summary: 'Read a conversion (platform scope: any of the platform; x-on-behalf-of: that account\u2019s)',
        tags,
        security: bearerSecurity,
        params: IdParams,
        response: { 200: FxConversionSchema, ...errorResponses },
      },
    },
    async (request) => serializeFxConversion(await getConversion(services, scopeOf(request), request.params.id)),
  );
}
