import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { currencies, type Currency } from '../../lib/currencies.ts';
import { ApiError } from '../../lib/errors.ts';
import { parsePair, resolveRate, type MidRate } from './pricing.ts';

const now = new Date('2026-03-02T10:00:00Z');
const hour = 3_600_000;
const row = (base: Currency, quote: Currency, mid: string, spreadBps: number, ageMs = 0, pinned = false): MidRate => ({
  base,
  quote,
  mid,
  spreadBps,
  asOf: new Date(now.getTime() - ageMs),
  pinned,
});
const seed = [row('AUD', 'USD', '0.65', 30), row('USD', 'HKD', '7.8', 30), row('USD', 'SGD', '1.35', 30), row('USDT', 'USD', '1', 10), row('USDC', 'USD', '1', 10)];
const pair = fc.tuple(fc.constantFrom<Currency>(...currencies), fc.constantFrom<Currency>(...currencies)).filter(([a, b]) => a !== b);

describe('FX pricing', () => {
  it('every pair of the catalogue resolves from a table with one USD leg per currency, and there and back is at most 1', () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const there = resolveRate(seed, { sell: a, buy: b }, now, 24 * hour);
        const back = resolveRate(seed, { sell: b, buy: a }, now, 24 * hour);
        assert.ok(there.ok && back.ok);
        assert.ok(there.rate * back.rate <= 10n ** 20n, `${a}/${b}: ${there.rate} × ${back.rate}`);
      }),
    );
  });

  it('missing when a leg is missing; stale when the oldest leg used is older than the limit; pinned rows never age', () => {
    const table = [row('AUD', 'USD', '0.65', 30, 2 * hour), row('USD', 'HKD', '7.8', 30, 30 * hour)];
    assert.deepEqual(resolveRate(table, { sell: 'AUD', buy: 'SGD' }, now, 24 * hour), { ok: false, reason: 'missing', asOf: null });
    const stale = resolveRate(table, { sell: 'AUD', buy: 'HKD' }, now, 24 * hour);
    assert.deepEqual(stale, { ok: false, reason: 'stale', asOf: new Date(now.getTime() - 30 * hour) });
    const direct = resolveRate(table, { sell: 'USD', buy: 'AUD' }, now, 24 * hour);
    assert.ok(direct.ok);
    assert.deepEqual(direct.asOf, new Date(now.getTime() - 2 * hour));
    const pinned = resolveRate([row('AUD', 'USD', '0.65', 30, 1000 * hour, true)], { sell: 'AUD', buy: 'USD' }, now, 24 * hour);
    assert.ok(pinned.ok);
    assert.deepEqual(pinned.asOf, now);
    // a direct row wins over the cross
    const both = [...table, row('AUD', 'HKD', '5', 0)];
    const chosen = resolveRate(both, { sell: 'AUD', buy: 'HKD' }, now, 24 * hour);
    assert.ok(chosen.ok && chosen.rate === 5n * 10n ** 10n);
  });

  it('parsePair: two different catalogue currencies, else UNSUPPORTED_CURRENCY_PAIR naming the field', () => {
    assert.deepEqual(parsePair('AUD', 'USDT'), { sell: 'AUD', buy: 'USDT' });
    for (const [sell, buy, field] of [['AUD', 'AUD', 'buy_currency'], ['EUR', 'AUD', 'sell_currency'], ['AUD', null, 'buy_currency'], ['usd', 'AUD', 'sell_currency']] as const) {
      assert.throws(() => parsePair(sell, buy), (e: unknown) => e instanceof ApiError && e.code === 'UNSUPPORTED_CURRENCY_PAIR' && e.detail?.field === field);
    }
  });
});
