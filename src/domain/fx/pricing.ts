// Pure FX pricing: which currency pair, which rate from the table (direct, inverted, or crossed through USD), and
// whether the amounts are within the currency catalogue's conversion limits. No I/O; the callers bring the table.
import { currencies, currencyCatalogue, isCurrency, type Currency } from '../../lib/currencies.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { customerLeg, invert, multiply, parseMidRate, priceConversion, quotedRate, type Rational } from '../../lib/fx-math.ts';
import { formatMinor, parseAmount } from '../../lib/money.ts';

/** One row of a rate table: 1 base = mid quote, and PIK's spread off the mid in basis points. */
export interface MidRate {
  base: Currency;
  quote: Currency;
  mid: string;
  spreadBps: number;
  asOf: Date;
  /** Sandbox's seeded rates: simulated, never stale. */
  pinned: boolean;
}

/** The currency every pair without a direct rate is crossed through. */
export const crossCurrency: Currency = 'USD';

/** How long a client should wait before asking again when no current rate exists. */
export const ratesRetryAfterSeconds = 60;

export interface Pair {
  sell: Currency;
  buy: Currency;
}

/** Two different currencies of the catalogue; anything else is UNSUPPORTED_CURRENCY_PAIR (400). */
export function parsePair(sell: unknown, buy: unknown): Pair {
  const show = (v: unknown) => (typeof v === 'string' ? v.slice(0, 16) : null);
  const refuse = (field: string, message: string) =>
    new ApiError('UNSUPPORTED_CURRENCY_PAIR', message, { field, sell_currency: show(sell), buy_currency: show(buy), supported: [...currencies] });
  if (!isCurrency(sell)) throw refuse('sell_currency', `sell_currency must be one of ${currencies.join(', ')}.`);
  if (!isCurrency(buy)) throw refuse('buy_currency', `buy_currency must be one of ${currencies.join(', ')}.`);
  if (sell === buy) throw refuse('buy_currency', 'sell_currency and buy_currency must differ.');
  return { sell, buy };
}

export type RateResolution =
  | { ok: true; rate: bigint; asOf: Date }
  | { ok: false; reason: 'missing' | 'stale'; asOf: Date | null };

interface Leg {
  rate: Rational;
  row: MidRate;
}

function leg(table: readonly MidRate[], from: Currency, to: Currency): Leg | undefined {
  for (const row of table) {
    const mid = parseMidRate(row.mid);
    if (!mid) continue;
    if (row.base === from && row.quote === to) return { rate: customerLeg(mid, row.spreadBps), row };
    if (row.base === to && row.quote === from) return { rate: customerLeg(invert(mid), row.spreadBps), row };
  }
  return undefined;
}

/**
 * The rate the customer gets for selling `sell` and buying `buy`: the direct pair (either direction), else the two
 * legs through USD multiplied exactly (one rounding, at the end, down). Stale when any leg the rate uses was set longer
 * ago than `maxAgeMs` (pinned rows never are); `asOf` is the oldest leg's time, or `now` when every leg is pinned.
 */
export function resolveRate(table: readonly MidRate[], pair: Pair, now: Date, maxAgeMs: number): RateResolution {
  const direct = leg(table, pair.sell, pair.buy);
  let legs: Leg[] | undefined;
  if (direct) legs = [direct];
  else if (pair.sell !== crossCurrency && pair.buy !== crossCurrency) {
    const first = leg(table, pair.sell, crossCurrency);
    const second = leg(table, crossCurrency, pair.buy);
    if (first && second) legs = [first, second];
  }
  if (!legs) return { ok: false, reason: 'missing', asOf: null };
  const dated = legs.filter((l) => !l.row.pinned).map((l) => l.row.asOf.getTime());
  const asOf = dated.length > 0 ? new Date(Math.min(...dated)) : now;
  if (now.getTime() - asOf.getTime() > maxAgeMs) return { ok: false, reason: 'stale', asOf };
  const exact = legs.map((l) => l.rate).reduce(multiply);
  const rate = quotedRate(exact);
  if (rate <= 0n) return { ok: false, reason: 'missing', asOf };
  return { ok: true, rate, asOf };
}

/** RATES_UNAVAILABLE (503, with Retry-After) for a pair the table cannot price now. */
export function ratesUnavailable(pair: Pair, resolution: Extract<RateResolution, { ok: false }>): ApiError {
  const message =
    resolution.reason === 'stale'
      ? `The ${pair.sell}/${pair.buy} rate is out of date; PIK is waiting for a new one. Retry after the number of seconds in Retry-After.`
      : `PIK has no rate for ${pair.sell}/${pair.buy} at the moment. Retry after the number of seconds in Retry-After.`;
  return new ApiError(
    'RATES_UNAVAILABLE',
    message,
    { sell_currency: pair.sell, buy_currency: pair.buy, reason: resolution.reason, as_of: resolution.asOf?.toISOString() ?? null },
    { retryAfterSeconds: ratesRetryAfterSeconds },
  );
}

export type FixedAmount = { side: 'sell' | 'buy'; minor: bigint };

/** Exactly one of sell_amount and buy_amount, parsed in its currency (INVALID_AMOUNT naming the field). */
export function parseFixedAmount(pair: Pair, input: { sellAmount?: unknown; buyAmount?: unknown }): FixedAmount {
  const hasSell = input.sellAmount !== undefined;
  const hasBuy = input.buyAmount !== undefined;
  if (hasSell === hasBuy) {
    throw new ApiError('INVALID_REQUEST', hasSell ? 'Send sell_amount or buy_amount, not both.' : 'Send one of sell_amount or buy_amount.', {
      field: hasSell ? 'buy_amount' : 'sell_amount',
    });
  }
  return hasSell ? { side: 'sell', minor: parseAmount(input.sellAmount, pair.sell, 'sell_amount') } : { side: 'buy', minor: parseAmount(input.buyAmount, pair.buy, 'buy_amount') };
}

/** Both amounts at `rate`, refused (422) when either side is outside its currency's conversion limits. */
export function priceWithinLimits(pair: Pair, rate: bigint, fixed: FixedAmount): { sellMinor: bigint; buyMinor: bigint } {
  const priced = priceConversion(rate, pair.sell, pair.buy, fixed);
  // The side the customer fixed is checked first, so the answer names the field they sent when both are out.
  const sides = [
    { field: 'sell_amount', currency: pair.sell, minor: priced.sellMinor },
    { field: 'buy_amount', currency: pair.buy, minor: priced.buyMinor },
  ];
  if (fixed.side === 'buy') sides.reverse();
  for (const side of sides) {
    const { minimumMinorUnits, maximumMinorUnits } = currencyCatalogue[side.currency].conversion;
    const detail = {
      field: side.field,
      currency: side.currency,
      amount: formatMinor(side.minor, side.currency),
      minimum: formatMinor(minimumMinorUnits, side.currency),
      maximum: formatMinor(maximumMinorUnits, side.currency),
    };
    if (side.minor < minimumMinorUnits) {
      throw new ApiError('BELOW_MINIMUM_AMOUNT', `A conversion must ${side.field === 'sell_amount' ? 'sell' : 'buy'} at least ${detail.minimum} ${side.currency}.`, detail);
    }
    if (side.minor > maximumMinorUnits) {
      throw new ApiError('ABOVE_MAXIMUM_AMOUNT', `A conversion may ${side.field === 'sell_amount' ? 'sell' : 'buy'} at most ${detail.maximum} ${side.currency}; split it.`, detail);
    }
  }
  return priced;
}

/** conversion_type "rate" | "quote", and quote_id exactly when it is "quote". */
export function parseConversionType(type: unknown, quoteId: unknown): { type: 'rate' } | { type: 'quote'; quoteId: string } {
  if (type === 'quote') {
    if (typeof quoteId !== 'string' || quoteId.length === 0) throw invalidField('quote_id', 'quote_id is required when conversion_type is "quote".');
    return { type: 'quote', quoteId };
  }
  if (quoteId !== undefined) throw invalidField('quote_id', 'quote_id goes with conversion_type "quote"; a "rate" conversion uses the current rate.');
  return { type: 'rate' };
}
