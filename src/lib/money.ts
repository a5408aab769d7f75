// Money at the edge: decimal strings ⇄ integer minor units (bigint), never floats. What a currency is comes from
// lib/currencies.ts.
import { currencies, currencyCatalogue, decimalsOf, isCurrency, type Currency } from './currencies.ts';
import { ApiError } from './errors.ts';

/**
 * The largest amount one movement may carry: one billion major units. Far below int8 (9.2e18) even for
 * 6-decimal currencies (1e15 minor units), so one movement's entries and history rows fit a bigint column. Running
 * balances add up movements without end and are numeric(38,0) (migration 0008), not bigint.
 */
export const maxMajorUnits = 1_000_000_000n;

export function parseCurrency(value: unknown, field = 'currency'): Currency {
  if (isCurrency(value)) return value;
  const hint = typeof value === 'string' && isCurrency(value.toUpperCase()) ? ` Use upper case: "${value.toUpperCase()}".` : '';
  throw new ApiError('UNSUPPORTED_CURRENCY', `The currency must be one of ${currencies.join(', ')}.${hint}`, {
    field,
    currency: typeof value === 'string' ? value.slice(0, 16) : null,
    supported: [...currencies],
  });
}

export function maxMinorUnits(currency: Currency): bigint {
  return maxMajorUnits * 10n ** BigInt(decimalsOf(currency));
}

// Digits only: no sign, no exponent, no spaces, no leading zeros ("007"), no bare "." on either side. Any number of
// digits: a plain decimal that is too long is refused for what is wrong with it (too large, too many decimals).
const decimalPattern = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/** Digits of the largest whole part an amount can have: a longer one is too large whatever its digits. */
const maxWholeDigits = maxMajorUnits.toString().length;

export type AmountProblem = 'number' | 'not_a_string' | 'format' | 'too_many_decimals' | 'not_positive' | 'too_small' | 'too_large';

/** Pure parse: a positive decimal string in the currency's precision → minor units, or the reason it is not one. */
export function parseAmountValue(value: unknown, currency: Currency): { ok: true; minor: bigint } | { ok: false; problem: AmountProblem } {
  if (typeof value === 'number') return { ok: false, problem: 'number' };
  if (typeof value !== 'string') return { ok: false, problem: 'not_a_string' };
  const match = decimalPattern.exec(value);
  if (!match) return { ok: false, problem: 'format' };
  const decimals = decimalsOf(currency);
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) return { ok: false, problem: 'too_many_decimals' };
  // Decided on length first, so a megabyte of digits never becomes a BigInt.
  if (whole.length > maxWholeDigits) return { ok: false, problem: 'too_large' };
  const minor = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  if (minor <= 0n) return { ok: false, problem: 'not_positive' };
  if (minor < currencyCatalogue[currency].minimumMinorUnits) return { ok: false, problem: 'too_small' };
  if (minor > maxMinorUnits(currency)) return { ok: false, problem: 'too_large' };
  return { ok: true, minor };
}

const problemMessages: Record<AmountProblem, (currency: Currency) => string> = {
  number: () => 'The amount must be a decimal string such as "500.00", not a JSON number.',
  not_a_string: () => 'The amount must be a decimal string such as "500.00".',
  format: () => 'The amount must be a plain decimal string such as "500.00": digits, an optional point, no sign, spaces or exponent.',
  too_many_decimals: (c) => `${c} amounts have at most ${decimalsOf(c)} decimal places.`,
  not_positive: () => 'The amount must be greater than zero.',
  too_small: (c) => `The amount must be at least ${formatMinor(currencyCatalogue[c].minimumMinorUnits, c)} ${c}.`,
  too_large: (c) => `The amount must be at most ${formatMinor(maxMinorUnits(c), c)} ${c}.`,
};

/** Parses an amount from a request; INVALID_AMOUNT (400) with a message that says what to send. */
export function parseAmount(value: unknown, currency: Currency, field = 'amount'): bigint {
  const result = parseAmountValue(value, currency);
  if (result.ok) return result.minor;
  throw new ApiError('INVALID_AMOUNT', problemMessages[result.problem](currency), { field, currency, decimals: decimalsOf(currency) });
}

/** Minor units → the decimal string the API shows, always with the currency's full precision ("500.00", "-1.500000"). */
export function formatMinor(minor: bigint, currency: Currency): string {
  const decimals = decimalsOf(currency);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals);
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}
