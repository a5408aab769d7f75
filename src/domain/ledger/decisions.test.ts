import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { currencies, type Currency } from '../../lib/currencies.ts';
import {
  applyPostings,
  balanceKey,
  clearing,
  decideHold,
  decideInbound,
  decidePayoutCompletion,
  decideRelease,
  decideSettle,
  decideConversion,
  decideTransfer,
  isClearingAccount,
  type Balance,
  type Posting,
  type Rejection,
} from './decisions.ts';

const wallets = ['acct_a', 'acct_b', 'acct_c'];
const minor = fc.bigInt({ min: 0n, max: 10n ** 12n });
const positive = fc.bigInt({ min: 1n, max: 10n ** 12n });
const currency = fc.constantFrom<Currency>(...currencies);
const balances = fc
  .array(fc.tuple(fc.constantFrom(...wallets), currency, minor, minor), { maxLength: 12 })
  .map((rows) => new Map<string, Balance>(rows.map(([a, c, available, pending]) => [balanceKey(a, c), { available, pending }])));

const get = (b: ReadonlyMap<string, Balance>, account: string, c: Currency): Balance => b.get(balanceKey(account, c)) ?? { available: 0n, pending: 0n };
const total = (b: ReadonlyMap<string, Balance>): bigint => [...b.values()].reduce((sum, x) => sum + x.available + x.pending, 0n);
const sumOf = (postings: Posting[]): bigint => postings.reduce((s, p) => s + p.amount, 0n);

/** A movement as the ledger takes it: its postings, refused where applyPostings (the model of post_movement's guard) refuses. */
function take(b: ReadonlyMap<string, Balance>, postings: Posting[]): { ok: true; postings: Posting[] } | { ok: false; rejection: Rejection } {
  const applied = applyPostings(b, postings);
  return applied.ok ? { ok: true, postings } : applied;
}

function applyAll(b: ReadonlyMap<string, Balance>, postings: Posting[]): Map<string, Balance> {
  const applied = applyPostings(b, postings);
  assert.ok(applied.ok);
  return new Map([...b, ...applied.next]);
}

describe('ledger decisions', () => {
  it('decideTransfer: accepted exactly when the source has the amount available; balanced; conserves money; never negative', () => {
    fc.assert(
      fc.property(balances, fc.constantFrom(...wallets), fc.constantFrom(...wallets), currency, positive, (b, from, to, c, amount) => {
        fc.pre(from !== to);
        const decision = take(b, decideTransfer({ sourceAccountId: from, destinationAccountId: to, currency: c, amount }));
        const had = get(b, from, c).available;
        assert.equal(decision.ok, had >= amount);
        if (!decision.ok) {
          assert.deepEqual(decision.rejection, { kind: 'insufficient_balance', ledgerAccount: from, currency: c, available: had });
          return;
        }
        assert.equal(sumOf(decision.postings), 0n);
        const after = applyAll(b, decision.postings);
        assert.equal(total(after), total(b));
        assert.equal(get(after, from, c).available, had - amount);
        assert.equal(get(after, to, c).available, get(b, to, c).available + amount);
        for (const v of after.values()) assert.ok(v.available >= 0n && v.pending >= 0n);
      }),
    );
  });

  it('decideConversion: accepted exactly when the wallet has the sell amount; each currency balances against the FX position', () => {
    fc.assert(
      fc.property(balances, fc.constantFrom(...wallets), currency, currency, positive, positive, (b, account, sell, buy, x, y) => {
        fc.pre(sell !== buy);
        const decision = take(b, decideConversion({ accountId: account, sellCurrency: sell, sellAmount: x, buyCurrency: buy, buyAmount: y }));
        const had = get(b, account, sell).available;
        assert.equal(decision.ok, had >= x);
        if (!decision.ok) return;
        for (const c of [sell, buy]) assert.equal(sumOf(decision.postings.filter((p) => p.currency === c)), 0n, `${c} balances`);
        assert.ok(decision.postings.every((p) => p.ledgerAccount === account || p.ledgerAccount === clearing.fx));
        assert.ok(isClearingAccount(clearing.fx));
        const after = applyAll(b, decision.postings);
        assert.equal(get(after, account, sell).available, had - x);
        assert.equal(get(after, account, buy).available, get(b, account, buy).available + y);
        assert.equal(get(after, clearing.fx, sell).available, get(b, clearing.fx, sell).available + x);
        assert.equal(get(after, clearing.fx, buy).available, get(b, clearing.fx, buy).available - y);
      }),
    );
  });

  it('hold then release restores the wallet exactly; hold then completion leaves the amount paid out in payout clearing', () => {
    fc.assert(
      fc.property(balances, fc.constantFrom(...wallets), currency, positive, fc.boolean(), (b, account, c, amount, completes) => {
        const hold = take(b, decideHold({ accountId: account, currency: c, amount }));
        assert.equal(hold.ok, get(b, account, c).available >= amount);
        if (!hold.ok) return;
        const held = applyAll(b, hold.postings);
        assert.equal(get(held, clearing.payout, c).pending, amount);
        const finish = completes ? decidePayoutCompletion({ currency: c, amount }) : decideRelease({ accountId: account, currency: c, amount });
        assert.equal(sumOf(finish), 0n);
        const done = applyAll(held, finish);
        assert.equal(get(done, clearing.payout, c).pending, 0n);
        if (completes) {
          assert.equal(get(done, account, c).available, get(b, account, c).available - amount);
          assert.equal(get(done, clearing.payout, c).available, amount);
        } else {
          assert.deepEqual(get(done, account, c), get(b, account, c));
        }
        assert.equal(total(done), total(b));
      }),
    );
  });

  it('inbound then settle moves the amount from pending to available; settle refuses more than is pending', () => {
    fc.assert(
      fc.property(balances, fc.constantFrom(...wallets), currency, positive, positive, (b, account, c, amount, extra) => {
        const inbound = applyAll(b, decideInbound({ accountId: account, currency: c, amount, settled: false }));
        assert.equal(get(inbound, account, c).pending, get(b, account, c).pending + amount);
        assert.equal(get(inbound, clearing.inbound, c).available, -amount);
        const settle = take(inbound, decideSettle({ accountId: account, currency: c, amount }));
        assert.ok(settle.ok);
        const settled = applyAll(inbound, settle.postings);
        assert.equal(get(settled, account, c).available, get(b, account, c).available + amount);
        assert.equal(get(settled, account, c).pending, get(b, account, c).pending);
        const tooMuch = take(inbound, decideSettle({ accountId: account, currency: c, amount: get(inbound, account, c).pending + extra }));
        assert.equal(tooMuch.ok, false);
      }),
    );
  });

  it('any sequence of accepted movements keeps every wallet >= 0 and the per-currency total at zero', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('transfer' as const), from: fc.constantFrom(...wallets), to: fc.constantFrom(...wallets), c: currency, amount: positive }),
      fc.record({ kind: fc.constant('hold' as const), from: fc.constantFrom(...wallets), c: currency, amount: positive }),
      fc.record({ kind: fc.constant('inbound' as const), to: fc.constantFrom(...wallets), c: currency, amount: positive, settled: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        let b = new Map<string, Balance>();
        for (const o of ops) {
          if (o.kind === 'transfer') {
            if (o.from === o.to) continue;
            const d = take(b, decideTransfer({ sourceAccountId: o.from, destinationAccountId: o.to, currency: o.c, amount: o.amount }));
            if (d.ok) b = applyAll(b, d.postings);
          } else if (o.kind === 'hold') {
            const d = take(b, decideHold({ accountId: o.from, currency: o.c, amount: o.amount }));
            if (d.ok) b = applyAll(b, d.postings);
          } else {
            b = applyAll(b, decideInbound({ accountId: o.to, currency: o.c, amount: o.amount, settled: o.settled }));
          }
        }
        const perCurrency = new Map<string, bigint>();
        for (const [key, v] of b) {
          const [account, c] = key.split('|') as [string, string];
          if (!isClearingAccount(account)) assert.ok(v.available >= 0n && v.pending >= 0n);
          perCurrency.set(c, (perCurrency.get(c) ?? 0n) + v.available + v.pending);
        }
        for (const sum of perCurrency.values()) assert.equal(sum, 0n);
      }),
    );
  });

  it('applyPostings refuses unbalanced postings as a bug', () => {
    assert.throws(() => applyPostings(new Map(), [{ ledgerAccount: 'acct_a', currency: 'AUD', bucket: 'available', amount: 5n }]), /do not balance/);
  });
});
