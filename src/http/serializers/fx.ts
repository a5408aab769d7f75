// FX resources as the API shows them: rates and amounts as decimal strings, snake_case, ISO times.
import Type from 'typebox';
import { listBody, listOf, nullable, stringEnum, AmountString } from '../schemas.ts';
import { conversionTypes, type FxConversionRow, type FxQuoteRow, type FxRateRow } from '../../db/schema.ts';
import type { IndicativeRate, QuoteStatus } from '../../domain/fx/conversions.ts';
import { currencies, type Currency } from '../../lib/currencies.ts';
import { formatRate } from '../../lib/fx-math.ts';
import { formatMinor as money } from '../../lib/money.ts';

const Amount = AmountString;
const Rate = Type.String({ description: 'Buy units per sell unit, a decimal string (at most 10 decimal places, rounded down).' });
const CurrencyCode = stringEnum(currencies);

export const FxRateSchema = Type.Object({
  object: Type.Literal('fx_rate'),
  sell_currency: CurrencyCode,
  buy_currency: CurrencyCode,
  rate: Rate,
  as_of: Type.String({ format: 'date-time', description: 'When the rate was set (the oldest leg of a crossed rate).' }),
  sell_amount: nullable(Type.String({ description: 'With an amount in the query: the sell side at this rate (rounded up when buy_amount was given).' })),
  buy_amount: nullable(Type.String({ description: 'With an amount in the query: the buy side at this rate (rounded down when sell_amount was given).' })),
});

export function serializeFxRate(r: IndicativeRate) {
  return {
    object: 'fx_rate' as const,
    sell_currency: r.pair.sell,
    buy_currency: r.pair.buy,
    rate: formatRate(r.rate),
    as_of: r.asOf.toISOString(),
    sell_amount: r.amounts ? money(r.amounts.sellMinor, r.pair.sell) : null,
    buy_amount: r.amounts ? money(r.amounts.buyMinor, r.pair.buy) : null,
  };
}

export const FxQuoteSchema = Type.Object({
  id: Type.String({ description: 'qt_…' }),
  object: Type.Literal('fx_quote'),
  account_id: Type.String(),
  sell_currency: CurrencyCode,
  buy_currency: CurrencyCode,
  rate: Rate,
  sell_amount: Amount,
  buy_amount: Amount,
  fixed_side: stringEnum(['sell', 'buy'] as const, { description: 'Which amount the request fixed; the other was computed in PIK\u2019s favour.' }),
  expires_at: Type.String({ format: 'date-time' }),
  status: stringEnum(['active', 'used', 'expired'] as const),
  conversion_id: nullable(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
});

export function serializeFxQuote(row: FxQuoteRow, status: QuoteStatus) {
  return {
    id: row.id,
    object: 'fx_quote' as const,
    account_id: row.account_id,
    sell_currency: row.sell_currency,
    buy_currency: row.buy_currency,
    rate: row.rate,
    sell_amount: money(row.sell_amount, row.sell_currency),
    buy_amount: money(row.buy_amount, row.buy_currency),
    fixed_side: row.fixed_side,
    expires_at: row.expires_at.toISOString(),
    status,
    conversion_id: row.conversion_id,
    created_at: row.created_at.toISOString(),
  };
}

export const FxConversionSchema = Type.Object({
  id: Type.String({ description: 'conv_…' }),
  object: Type.Literal('fx_conversion'),
  account_id: Type.String(),
  status: Type.Literal('converted'),
  conversion_type: stringEnum(conversionTypes),
  sell_currency: CurrencyCode,
  buy_currency: CurrencyCode,
  rate: Rate,
  sell_amount: Amount,
  buy_amount: Amount,
  quote_id: nullable(Type.String()),
  reference: nullable(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
});

export function serializeFxConversion(row: FxConversionRow) {
  return {
    id: row.id,
    object: 'fx_conversion' as const,
    account_id: row.account_id,
    status: 'converted' as const,
    conversion_type: row.conversion_type,
    sell_currency: row.sell_currency,
    buy_currency: row.buy_currency,
    rate: row.rate,
    sell_amount: money(row.sell_amount, row.sell_currency),
    buy_amount: money(row.buy_amount, row.buy_currency),
    quote_id: row.quote_id,
    reference: row.reference,
    created_at: row.created_at.toISOString(),
  };
}

/** The operator's view of a rate-table row. */
export const FxRateRowSchema = Type.Object({
  pair: Type.String({ description: 'BASE/QUOTE: 1 BASE = mid QUOTE.' }),
  base: CurrencyCode,
  quote: CurrencyCode,
  mid: Type.String(),
  spread_bps: Type.Integer(),
  as_of: Type.String({ format: 'date-time' }),
  pinned: Type.Boolean({ description: 'Sandbox seed: never goes stale.' }),
  set_by: Type.String(),
});

export function serializeFxRateRow(row: FxRateRow) {
  return {
    pair: `${row.base}/${row.quote}`,
    base: row.base,
    quote: row.quote,
    mid: row.mid,
    spread_bps: row.spread_bps,
    as_of: row.as_of.toISOString(),
    pinned: row.pinned,
    set_by: row.set_by,
  };
}

export const FxPositionsSchema = listOf(
  Type.Object({ currency: CurrencyCode, position: Type.String({ description: 'Signed: positive when PIK holds more of it than it paid out.' }) }),
  { environment: Type.String() },
);

export function serializeFxPositions(environment: string, positions: { currency: Currency; position: bigint }[]) {
  return { environment, ...listBody(positions.map((p) => ({ currency: p.currency, position: money(p.position, p.currency) }))) };
}
