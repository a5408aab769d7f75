// Group commit: units of work made only of queued writes, arriving while others are being written, reach the database
// together as one statement — one round trip, one parse, one WAL flush for many — in the manner of TigerBeetle's batches.
//
// No unit gives up a guarantee for it. A unit that arrives while fewer than `maxInFlight` statements are in flight goes
// at once, alone (no waiting for company: under light load nothing changes). Units that arrive while the lanes are busy
// queue, and go together as soon as a lane frees. A batch is one statement, so it commits all of its units or none; if
// the database refuses it for any reason (a wallet short of funds, a duplicate reference, a missing balance row, a
// deadlock), every unit of it is sent again on its own, to get its own answer — so a refusal of one never becomes the
// answer of another, and a batch costs a second round trip only when something in it is refused.
//
// Deadlocks: a batch would otherwise take its units' row locks unit by unit, so two concurrent batches could take the
// same two wallets in opposite orders. A batch therefore locks every balance row its units name first, in the one
// order post_movement uses (ledger account, then currency); the units' own locks are then already held.
import { AsyncResource } from 'node:async_hooks';
import { sql, type RawBuilder } from 'kysely';
import type { Environment } from '../lib/environments.ts';
import type { Database } from './database.ts';
import { isDatabaseUnavailable } from './errors.ts';
import type { Write } from './unit-of-work.ts';

interface Pending {
  writes: Write[];
  /** Runs a step in the async context of the unit that submitted it (a test's fault or crash mark follows its request). */
  inContext: <T>(step: () => Promise<T>) => Promise<T>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** At most this many units in one statement: far below PostgreSQL's 65,535 parameters (a transfer takes about 40). */
const maxBatch = 50;

export class GroupCommit {
  private readonly queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly db: Pick<Database, 'commitAlone'>,
    /** Statements in flight at once: each holds a pool connection while it runs. */
    private readonly maxInFlight: number,
    /** How one unit's writes are sent on their own (unit-of-work.ts's sendWrites: its error translation included). */
    private readonly sendAlone: (writes: Write[], execute: (statement: RawBuilder<unknown>) => Promise<unknown>) => Promise<void>,
  ) {}

  /** Resolves once the unit's writes have committed; rejects with the unit's own error. */
  submit(writes: Write[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const context = new AsyncResource('pik.group-commit');
      const inContext = <T>(step: () => Promise<T>): Promise<T> => context.runInAsyncScope(step);
      this.queue.push({ writes, inContext, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, maxBatch);
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    const first = batch[0] as Pending;
    if (batch.length > 1) {
      const combined = combine(batch.map((p) => p.writes));
      const together = await first.inContext(() => this.db.commitAlone(combined, { prepared: false })).then(
        () => true,
        (error: unknown) => error,
      );
      if (together === true) {
        for (const p of batch) p.resolve();
        return;
      }
      // The database is gone (its connection dropped mid-statement, or none could be had): sending each unit again
      // would only wait for the same outage once per unit. Each gets the outage as its answer (503 at the edge). If the
      // connection dropped during the statement's own commit, whether it committed is unknown either way; a retry
      // with the same Idempotency-Key finds out (the answer is stored with the change).
      if (isDatabaseUnavailable(together)) {
        for (const p of batch) p.reject(together);
        return;
      }
    }
    await Promise.all(
      batch.map((p) =>
        p.inContext(() => this.sendAlone(p.writes, (statement) => this.db.commitAlone(statement))).then(
          () => p.resolve(),
          (error: unknown) => p.reject(error),
        ),
      ),
    );
  }
}

/**
 * The units' writes as top-level CTEs of one statement (data-modifying CTEs may not nest), preceded by the ordered lock
 * of every balance row they name, with every expectRows check in the final select (the lock first: PostgreSQL
 * evaluates the select list left to right).
 */
function combine(units: Write[][]): RawBuilder<unknown> {
  const locks = new Map<Environment, Map<string, { ledgerAccount: string; currency: string }>>();
  for (const unit of units) {
    for (const w of unit) {
      if (!w.locksBalances) continue;
      const keys = locks.get(w.locksBalances.environment) ?? new Map<string, { ledgerAccount: string; currency: string }>();
      for (const k of w.locksBalances.keys) keys.set(`${k.ledgerAccount}|${k.currency}`, k);
      locks.set(w.locksBalances.environment, keys);
    }
  }
  const ctes: RawBuilder<unknown>[] = [];
  const checks: RawBuilder<unknown>[] = [sql`1`];
  for (const [environment, keys] of locks) {
    const name = sql.id(`lock_${environment}`);
    const list = [...keys.values()];
    ctes.push(sql`${name} as (
      select 1 from ${sql.id(environment, 'ledger_balances')} as b
      join unnest(${list.map((k) => k.ledgerAccount)}::text[], ${list.map((k) => k.currency)}::text[]) as k(account, currency)
        on b.ledger_account = k.account and b.currency = k.currency
      order by b.ledger_account, b.currency
      for update of b
    )`);
    checks.push(sql`(select count(*) from ${name})`);
  }
  units.forEach((unit, u) =>
    unit.forEach((w, i) => {
      const name = sql.id(`u${u}_w${i}`);
      ctes.push(sql`${name} as (${w.statement})`);
      if (w.expectRows) checks.push(sql`public.pik_expect_rows((select count(*) from ${name}), ${w.expectRows.count}, ${`u${u}_w${i}`})`);
    }),
  );
  return sql`with ${sql.join(ctes, sql`, `)} select ${sql.join(checks)}`;
}
