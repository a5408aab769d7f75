// Money-movement load for the concurrency and crash tests: many clients, many accounts, retries with the same
// Idempotency-Key, and a way to tell afterwards whether any key produced more than one movement.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import { bankDestination } from './ledger.ts';

export interface LoadPlatform {
  id: string;
  key: string;
  accounts: string[];
}

export interface Operation {
  /** The Idempotency-Key; also encoded in the amount (op n moves about 100 + 3n minor units), so a duplicate is visible in the tables. */
  idempotencyKey: string;
  method: 'POST';
  path: string;
  key: string;
  onBehalfOf?: string;
  body: Record<string, unknown>;
  kind: 'transfer' | 'payout' | 'conversion';
  minor: number;
}

const cents = (minor: number): string => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;

/**
 * A random mix of transfers (either direction, including the platform), payouts and FX conversions (AUD → USD from a
 * connected account, buying the operation's unique amount of USD); amounts unique per operation.
 */
export function buildOperations(platforms: LoadPlatform[], count: number, seed: number): Operation[] {
  // mulberry32: small, seedable, and without the short low-bit cycles of a power-of-two LCG
  let state = seed >>> 0;
  const random = (n: number): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
  const ops: Operation[] = [];
  for (let i = 0; i < count; i++) {
    const p = platforms[random(platforms.length)] as LoadPlatform;
    const minor = 100 + i * platforms.length + platforms.indexOf(p); // unique per operation within the run
    const everyone = [p.id, ...p.accounts];
    const roll = random(8);
    if (roll === 2) {
      const from = p.accounts[random(p.accounts.length)] as string;
      ops.push({
        idempotencyKey: `op-${seed}-${i}`,
        method: 'POST',
        path: '/api/v1/fx/conversions',
        key: p.key,
        onBehalfOf: from,
        body: { sell_currency: 'AUD', buy_currency: 'USD', buy_amount: cents(minor), conversion_type: 'rate' },
        kind: 'conversion',
        minor,
      });
    } else if (roll < 2) {
      const from = p.accounts[random(p.accounts.length)] as string;
      ops.push({
        idempotencyKey: `op-${seed}-${i}`,
        method: 'POST',
        path: '/api/v1/payouts',
        key: p.key,
        onBehalfOf: from,
        body: { currency: 'AUD', amount: cents(minor), destination_type: 'bank_account', destination: bankDestination },
        kind: 'payout',
        minor,
      });
    } else {
      const from = everyone[random(everyone.length)] as string;
      let to = everyone[random(everyone.length)] as string;
      if (to === from) to = from === p.id ? (p.accounts[0] as string) : p.id;
      ops.push({
        idempotencyKey: `op-${seed}-${i}`,
        method: 'POST',
        path: '/api/v1/transfers',
        key: p.key,
        body: { source_account_id: from, destination_account_id: to, currency: 'AUD', amount: cents(minor) },
        kind: 'transfer',
        minor,
      });
    }
  }
  return ops;
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function inParallel<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index] as T);
      }
    }),
  );
  return results;
}

/** Each operation's amount is unique: more than one movement with one amount means a key applied twice. */
export async function assertAtMostOneMovementPerKey(db: Database, ops: Operation[]): Promise<{ transfers: number; payouts: number; conversions: number }> {
  const transferAmounts = await sql<{ amount: string; n: number }>`select amount::text, count(*)::int as n from sandbox.transfers group by amount having count(*) > 1`.execute(db.core);
  const payoutAmounts = await sql<{ amount: string; n: number }>`select amount::text, count(*)::int as n from sandbox.payouts group by amount having count(*) > 1`.execute(db.core);
  const loadMinor = new Set(ops.map((o) => String(o.minor)));
  assert.deepEqual(transferAmounts.rows.filter((r) => loadMinor.has(r.amount)), [], 'an idempotency key produced two transfers');
  assert.deepEqual(payoutAmounts.rows.filter((r) => loadMinor.has(r.amount)), [], 'an idempotency key produced two payouts');
  const conversionAmounts = await sql<{ amount: string; n: number }>`select buy_amount::text as amount, count(*)::int as n from sandbox.fx_conversions group by buy_amount having count(*) > 1`.execute(db.core);
  assert.deepEqual(conversionAmounts.rows.filter((r) => loadMinor.has(r.amount)), [], 'an idempotency key produced two conversions');
  // every conversion is whole: two transactions (sell and buy) and four entries, never part of it
  const halfConverted = await sql<{ id: string }>`
    select c.id from sandbox.fx_conversions c
    where (select count(*) from sandbox.transactions x where x.movement_id = c.id) <> 2
       or (select count(*) from sandbox.ledger_entries e where e.movement_id = c.id) <> 4`.execute(db.core);
  assert.deepEqual(halfConverted.rows, [], 'a half-applied conversion');
  // every transfer is whole: two transactions and two entries, never one without the other
  const halves = await sql<{ id: string }>`
    select t.id from sandbox.transfers t
    where (select count(*) from sandbox.transactions x where x.movement_id = t.id) <> 2
       or (select count(*) from sandbox.ledger_entries e where e.movement_id = t.id) <> 2`.execute(db.core);
  assert.deepEqual(halves.rows, [], 'a half-applied transfer');
  const counts = await sql<{ transfers: number; payouts: number; conversions: number }>`
    select (select count(*)::int from sandbox.transfers) as transfers, (select count(*)::int from sandbox.payouts) as payouts,
      (select count(*)::int from sandbox.fx_conversions) as conversions`.execute(db.core);
  return counts.rows[0] as { transfers: number; payouts: number; conversions: number };
}
