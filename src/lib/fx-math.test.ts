import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { currencies, decimalsOf, type Currency } from './currencies.ts';
import { buyAmountFor, customerLeg, formatRate, invert, multiply, parseMidRate, parseScaledRate, quotedRate, rateDecimals, sellAmountFor } from './fx-math.ts';

const scale = 10n ** BigInt(rateDecimals);
const currency = fc.constantFrom<Currency>(...currencies);
const pair = fc.tuple(currency, currency).filter(([a, b]) => a !== b);
/** Mid rates as an operator types them: 1–7 whole digits or a fraction, up to 12 places. */
const midText = fc
  .tuple(fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.integer({ min: 0, max: 12 }))
  .map(([digits, places]) => {
    const text = digits.toString().padStart(places + 1, '0');
    const whole = text.slice(0, text.length - places).replace(/^0+(?=\d)/, '');
    return places === 0 ? whole : `${whole}.${text.slice(text.length - places)}`;
  })
  .filter((t) => parseMidRate(t) !== undefined);
const spread = fc.integer({ min: 0, max: 1000 });
const amount = fc.bigInt({ min: 1n, max: 10n ** 15n });

/** sell × rate in buy minor units, as an exact fraction: [numerator, denominator]. */
function exactBuy(sellMinor: bigint, rate: bigint, sell: Currency, buy: Currency): [bigint, bigint] {
  return [sellMinor * rate * 10n ** BigInt(decimalsOf(buy)), scale * 10n ** BigInt(decimalsOf(sell))];
}

describe('fx-math', () => {
  it('parses mid rates exactly and refuses anything but a plain positive decimal within bounds', () => {
    assert.deepEqual(parseMidRate('0.6512'), { num: 6512n, den: 10000n });
    assert.deepEqual(parseMidRate('7.8'), { num: 78n, den: 10n });
    for (const bad of ['0', '0.0', '-1', '+1', '1e3', '.5', '5.', '01', '1000000.000000000001', '2000000', '0.1234567890123', ' 1', 'abc']) {
      assert.equal(parseMidRate(bad), undefined, bad);
    }
  });

  it('examples of docs/fx.md: the rate rounds down; the buy side rounds down; the sell side rounds up', () => {
    const audUsd = quotedRate(customerLeg(parseMidRate('0.65')!, 30));
    assert.equal(formatRate(audUsd), '0.64805');
    assert.equal(buyAmountFor(100_00n, audUsd, 'AUD', 'USD'), 64_80n); // 64.805 → 64.80
    assert.equal(sellAmountFor(64_81n, audUsd, 'AUD', 'USD'), 100_01n); // 100.0077… → 100.01
    const usdAud = quotedRate(customerLeg(invert(parseMidRate('0.65')!), 30));
    assert.equal(formatRate(usdAud), '1.5338461538'); // 1.533846153846… → down
    assert.equal(buyAmountFor(1_000000n, quotedRate(customerLeg(parseMidRate('1')!, 10)), 'USDT', 'USD'), 99n); // 0.999 USD → 0.99
    assert.equal(formatRate(2n * scale), '2.0');
    assert.equal(parseScaledRate('0.64805'), audUsd);
    assert.equal(parseScaledRate(formatRate(usdAud)), usdAud);
  });

  it('buy ≈ sell × rate within one minor unit, never in the customer\u2019s favour (sell fixed)', () => {
    fc.assert(
      fc.property(pair, midText, spread, amount, ([sell, buy], mid, bps, sellMinor) => {
        const rate = quotedRate(customerLeg(parseMidRate(mid)!, bps));
        fc.pre(rate > 0n);
        const buyMinor = buyAmountFor(sellMinor, rate, sell, buy);
        const [num, den] = exactBuy(sellMinor, rate, sell, buy);
        // buy ≤ exact < buy + 1
        assert.ok(buyMinor * den <= num, 'the customer never receives more than sell × rate');
        assert.ok(num < (buyMinor + 1n) * den, 'and never a whole minor unit less');
      }),
    );
  });

  it('sell ≈ buy / rate within one minor unit, never in the customer\u2019s favour (buy fixed)', () => {
    fc.assert(
      fc.property(pair, midText, spread, amount, ([sell, buy], mid, bps, buyMinor) => {
        const rate = quotedRate(customerLeg(parseMidRate(mid)!, bps));
        fc.pre(rate > 0n);
        const sellMinor = sellAmountFor(buyMinor, rate, sell, buy);
        const [num, den] = exactBuy(sellMinor, rate, sell, buy);
        assert.ok(num >= buyMinor * den, 'what the customer pays is worth at least what they receive');
        const [lessNum, lessDen] = exactBuy(sellMinor - 1n, rate, sell, buy);
        assert.ok(lessNum < buyMinor * lessDen, 'one minor unit less would not pay for it');
        assert.ok(buyAmountFor(sellMinor, rate, sell, buy) >= buyMinor);
      }),
    );
  });

  it('a round trip A → B → A at the table\u2019s rates (direct or crossed) never ends with more than it started', () => {
    fc.assert(
      fc.property(pair, midText, midText, spread, spread, fc.boolean(), amount, ([a, b], m1, m2, s1, s2, crossed, start) => {
        // direct: one mid for A/B; crossed: A/USD and USD/B, multiplied exactly, in each direction
        const there = crossed ? multiply(customerLeg(parseMidRate(m1)!, s1), customerLeg(parseMidRate(m2)!, s2)) : customerLeg(parseMidRate(m1)!, s1);
        const back = crossed
          ? multiply(customerLeg(invert(parseMidRate(m2)!), s2), customerLeg(invert(parseMidRate(m1)!), s1))
          : customerLeg(invert(parseMidRate(m1)!), s1);
        const r1 = quotedRate(there);
        const r2 = quotedRate(back);
        fc.pre(r1 > 0n && r2 > 0n);
        const bought = buyAmountFor(start, r1, a, b);
        const returned = buyAmountFor(bought, r2, b, a);
        assert.ok(returned <= start, `${start} → ${bought} → ${returned}`);
        // and buying a fixed amount back costs at least what selling gave
        if (bought > 0n) assert.ok(sellAmountFor(bought, r1, a, b) <= start);
      }),
    );
  });

  it('a crossed rate is the exact product of its legs, rounded once', () => {
    fc.assert(
      fc.property(midText, midText, spread, spread, (m1, m2, s1, s2) => {
        const l1 = customerLeg(parseMidRate(m1)!, s1);
        const l2 = customerLeg(parseMidRate(m2)!, s2);
        const crossed = quotedRate(multiply(l1, l2));
        // crossed / 10^places ≤ l1 · l2 < (crossed + 1) / 10^places: the exact product, one rounding down
        assert.ok(crossed * l1.den * l2.den <= l1.num * l2.num * scale);
        assert.ok((crossed + 1n) * l1.den * l2.den > l1.num * l2.num * scale);
      }),
    );
  });
});
