import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ApiError } from './errors.ts';
import { currencies, currencyCatalogue, decimalsOf, type Currency } from './currencies.ts';
import { formatMinor, maxMinorUnits, parseAmount, parseAmountValue, parseCurrency } from './money.ts';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof ApiError ? error.code : 'NOT_API_ERROR';
  }
};

const messageOf = (fn: () => unknown): string => {
  try {
    fn();
    return '';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
};

describe('parseAmount', () => {
  for (const currency of currencies) {
    const d = decimalsOf(currency);
    const minimum = currencyCatalogue[currency].minimumMinorUnits;
    it(`${currency}: accepts up to ${d} decimals and refuses every malformed amount with INVALID_AMOUNT`, () => {
      assert.equal(parseAmount('1', currency), 10n ** BigInt(d));
      assert.equal(parseAmount(formatMinor(minimum, currency), currency), minimum);
      assert.equal(parseAmount('500.5', currency), 5005n * 10n ** BigInt(d - 1));
      assert.equal(parseAmount('1000000000', currency), maxMinorUnits(currency));
      const bad: unknown[] = [
        '0.' + '0'.repeat(d) + '1', // one decimal too many
        '1.' + '0'.repeat(d + 1), // trailing zeros beyond the precision are still too many decimals
        '0',
        '0.' + '0'.repeat(d),
        '-1',
        '-0.01',
        '+1',
        '1e3',
        '1E3',
        '1.5e2',
        '1000000000.' + '0'.repeat(d - 1) + '1', // just above the maximum
        '99999999999999999999999',
        '',
        ' 1',
        '1 ',
        '1,000.00',
        '.5',
        '5.',
        '007',
        '0x10',
        'NaN',
        'Infinity',
        '١٢',
        5,
        5.5,
        0,
        -1,
        1e21,
        null,
        true,
        ['1'],
        { value: '1' },
        undefined,
        ...(minimum > 1n ? [formatMinor(minimum - 1n, currency)] : []), // below the currency's minimum
      ];
      for (const value of bad) assert.equal(codeOf(() => parseAmount(value, currency)), 'INVALID_AMOUNT', `${currency} ${JSON.stringify(value)}`);
    });
  }

  it('round-trips every valid amount: format(parse(s)) has the full precision and parses back to the same minor units', () => {
    fc.assert(
      fc.property(fc.constantFrom(...currencies), fc.bigInt({ min: 1n, max: 10n ** 15n }), (currency: Currency, minor) => {
        fc.pre(minor >= currencyCatalogue[currency].minimumMinorUnits && minor <= maxMinorUnits(currency));
        const text = formatMinor(minor, currency);
        assert.match(text, new RegExp(`^\\d+\\.\\d{${decimalsOf(currency)}}$`));
        assert.equal(parseAmount(text, currency), minor);
      }),
    );
  });

  it('refuses a plain decimal for its real reason, however many digits it has: too many decimals or too large, never "format"', () => {
    const digits = (min: number, max: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max, size: 'max' }).map((d) => d.join(''));
    const wholePart = fc.oneof(fc.constant('0'), fc.tuple(fc.constantFrom(...'123456789'), digits(0, 40)).map(([first, rest]) => first + rest));
    fc.assert(
      fc.property(fc.constantFrom(...currencies), wholePart, fc.option(digits(1, 40), { nil: undefined }), (currency: Currency, whole, fraction) => {
        const value = fraction === undefined ? whole : `${whole}.${fraction}`;
        const result = parseAmountValue(value, currency);
        if (result.ok) return;
        if ((fraction ?? '').length > decimalsOf(currency)) assert.equal(result.problem, 'too_many_decimals', value);
        else if (BigInt(whole) >= 10n ** 9n) assert.equal(result.problem, 'too_large', value);
        else assert.ok(['not_positive', 'too_small'].includes(result.problem), `${value}: ${result.problem}`);
      }),
    );
    assert.match(messageOf(() => parseAmount('99999999999999999', 'AUD')), /at most 1000000000\.00 AUD/);
    assert.match(messageOf(() => parseAmount(`1.${'0'.repeat(19)}`, 'AUD')), /at most 2 decimal places/);
  });

  it('says "not a JSON number" only to a JSON number', () => {
    for (const value of [5, 5.5, 0]) assert.match(messageOf(() => parseAmount(value, 'AUD')), /not a JSON number/);
    for (const value of [null, true, ['1'], { value: '1' }]) assert.doesNotMatch(messageOf(() => parseAmount(value, 'AUD')), /number/, JSON.stringify(value));
  });

  it('never throws anything but INVALID_AMOUNT on arbitrary input', () => {
    fc.assert(
      fc.property(fc.constantFrom(...currencies), fc.oneof(fc.string(), fc.anything()), (currency: Currency, value) => {
        const result = parseAmountValue(value, currency);
        if (result.ok) assert.ok(result.minor > 0n && result.minor <= maxMinorUnits(currency));
        else assert.equal(codeOf(() => parseAmount(value, currency)), 'INVALID_AMOUNT');
      }),
    );
  });
});

describe('formatMinor', () => {
  it('pads and signs', () => {
    assert.equal(formatMinor(0n, 'AUD'), '0.00');
    assert.equal(formatMinor(5n, 'AUD'), '0.05');
    assert.equal(formatMinor(-150n, 'USD'), '-1.50');
    assert.equal(formatMinor(1_500_000n, 'USDT'), '1.500000');
    assert.equal(formatMinor(10_000_000n, 'HKD'), '100000.00');
  });
});

describe('parseCurrency', () => {
  it('accepts exactly the catalogue codes', () => {
    for (const c of currencies) assert.equal(parseCurrency(c), c);
    for (const bad of ['CNY', 'EUR', 'aud', 'Usd', '', 'AUD ', 'USDTT', 5, null, undefined, {}]) {
      assert.equal(codeOf(() => parseCurrency(bad)), 'UNSUPPORTED_CURRENCY', JSON.stringify(bad));
    }
  });
});
