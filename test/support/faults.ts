// Fault injection for tests: make the transaction a request opens fail, or wait, without changing the code under test.
//
// The ONE place that reaches into how domain code opens a transaction is `interceptTransactions` below (today
// `Database.transaction`; when routes pass a UnitOfWork instead, retarget that function and nothing else).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database, Tx } from '../../src/db/database.ts';

export type TransactionFault =
  /** The transaction runs its work, then throws `error` instead of committing: the work rolls back, the request fails with a 500. */
  | { kind: 'fail'; error: Error }
  /** The transaction waits for `until` before it opens (`at: 'open'`: no connection or row lock held meanwhile) or after its work, just before commit (`at: 'commit'`: holding its row locks). */
  | { kind: 'hold'; at: 'open' | 'commit'; reached: () => void; until: Promise<void> };

interface Pending {
  fault: TransactionFault;
  used: boolean;
}

const scope = new AsyncLocalStorage<Pending>();
const intercepted = new WeakSet<Database>();

type Transaction = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

/** Applies `fault` to the first transaction opened in the async context of `run`. Installs itself once per database. */
function interceptTransactions(db: Database): void {
  if (intercepted.has(db)) return;
  intercepted.add(db);
  const original: Transaction = db.transaction.bind(db);
  const wrapped: Transaction = async (fn) => {
    const pending = scope.getStore();
    if (!pending || pending.used) return original(fn);
    pending.used = true;
    const fault = pending.fault;
    if (fault.kind === 'fail') {
      return original(async (tx) => {
        await fn(tx);
        throw fault.error;
      });
    }
    if (fault.at === 'open') {
      fault.reached();
      await fault.until;
      return original(fn);
    }
    return original(async (tx) => {
      const result = await fn(tx);
      fault.reached();
      await fault.until;
      return result;
    });
  };
  (db as { transaction: Transaction }).transaction = wrapped;
}

/**
 * Runs `run` (typically one `ctx.call(...)`) with `fault` applied to the first database transaction it opens — and only
 * to that one: other requests, background workers and later transactions of the same request are untouched.
 */
export async function withTransactionFault<T>(db: Database, fault: TransactionFault, run: () => Promise<T>): Promise<T> {
  interceptTransactions(db);
  return scope.run({ fault, used: false }, run);
}

/** A fault that makes the transaction throw (a failure on our side, e.g. the database going away mid-request). */
export function failingTransaction(message = 'injected fault: the transaction failed'): TransactionFault {
  return { kind: 'fail', error: new Error(message) };
}

/** A hold point: `reached` resolves when the transaction gets there, `release()` lets it go on. */
export function heldTransaction(at: 'open' | 'commit'): { fault: TransactionFault; reached: Promise<void>; release: () => void } {
  let reached!: () => void;
  let release!: () => void;
  const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
  const until = new Promise<void>((resolve) => (release = resolve));
  return { fault: { kind: 'hold', at, reached, until }, reached: reachedPromise, release };
}
