// FX arithmetic, exact: rates are BigInt rationals until the quoted rate is fixed as a decimal, and amounts are
// whole minor units rounded in PIK's favour (the buy side down, the sell side up). No float ever touches money.
import { decimalsOf, type Currency } from './currencies.ts';

/** num/den with den > 0. Never reduced: only compared and multiplied, so the size of the terms does not matter. */
export interface Rational {
  num: bigint;
  den: bigint;
}

/** Decimal places of a quoted rate ("buy units per sell unit"). Ten places: a rate error below 1e-10 per unit. */
export const rateDecimals = 10;
const rateScale = 10n ** BigInt(rateDecimals);

/** The largest spread the operator may set: 10 %. */
export const maxSpreadBps = 1000;

// A mid rate as the operator types it: a plain positive decimal, up to 12 places and 1,000,000 units.
const midPattern = /^(0|[1-9][0-9]{0,6})(?:\.([0-9]{1,12}))?$/;

/** A mid rate ("0.6512") → a rational, or undefined when it is not a plain positive decimal within bounds. */
export function parseMidRate(text: string): Rational | undefined {
  const match = midPattern.exec(text);
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  const num = BigInt(`${match[1]}${fraction}`);
  const den = 10n ** BigInt(fraction.length);
  if (num === 0n || num > 1_000_000n * den) return undefined;
  return { num, den };
}

export const multiply = (a: Rational, b: Rational): Rational => ({ num: a.num * b.num, den: a.den * b.den });
export const invert = (a: Rational): Rational => ({ num: a.den, den: a.num });

/** What the customer gets per unit on one leg: the mid less the spread (10000 − bps)/10000. */
export function customerLeg(mid: Rational, spreadBps: number): Rational {
  return multiply(mid, { num: BigInt(10_000 - spreadBps), den: 10_000n });
}

/**
 * The quoted rate, a decimal of `rateDecimals` places rounded down (the customer never gets more than the exact
 * product of the legs), held as an integer scaled by 10^rateDecimals. 0 when the rate is below the last place.
 */
export function quotedRate(exact: Rational): bigint {
  return (exact.num * rateScale) / exact.den;
}

/** "0.6492465": the scaled rate as a decimal string, without trailing zeros (at least one decimal place). */
export function formatRate(scaled: bigint): string {
  const digits = scaled.toString().padStart(rateDecimals + 1, '0');
  const whole = digits.slice(0, digits.length - rateDecimals);
  const fraction = digits.slice(digits.length - rateDecimals).replace(/0+$/, '');
  return `${whole}.${fraction || '0'}`;
}

/** The inverse of formatRate, for rates read back from storage. */
export function parseScaledRate(text: string): bigint {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole ?? '0') * rateScale + BigInt(fraction.padEnd(rateDecimals, '0').slice(0, rateDecimals) || '0');
}

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/**
 * The buy amount for a sell amount: sell × rate in the buy currency's minor units, rounded DOWN — the customer
 * receives at most what the rate gives, never a fraction more.
 *   buy = floor(sell · rate · 10^db / (10^rateDecimals · 10^ds))
 */
export function buyAmountFor(sellMinor: bigint, rate: bigint, sell: Currency, buy: Currency): bigint {
  return (sellMinor * rate * pow10(decimalsOf(buy))) / (rateScale * pow10(decimalsOf(sell)));
}

/**
 * The sell amount for a buy amount: buy / rate in the sell currency's minor units, rounded UP — the customer pays at
 * least what the rate asks, never a fraction less.
 *   sell = ceil(buy · 10^rateDecimals · 10^ds / (rate · 10^db))
 */
export function sellAmountFor(buyMinor: bigint, rate: bigint, sell: Currency, buy: Currency): bigint {
  const num = buyMinor * rateScale * pow10(decimalsOf(sell));
  const den = rate * pow10(decimalsOf(buy));
  return (num + den - 1n) / den;
}

/** Both amounts of a conversion priced at `rate`, from whichever side the customer fixed. */
export function priceConversion(
  rate: bigint,
  sell: Currency,
  buy: Currency,
  fixed: { side: 'sell' | 'buy'; minor: bigint },
): { sellMinor: bigint; buyMinor: bigint } {
  return fixed.side === 'sell'
    ? { sellMinor: fixed.minor, buyMinor: buyAmountFor(fixed.minor, rate, sell, buy) }
    : { sellMinor: sellAmountFor(fixed.minor, rate, sell, buy), buyMinor: fixed.minor };
}
