// Fault injection for tests: make the transaction a request opens fail, or wait, without changing the code under test.
//
// The ONE place that reaches into how a unit of work opens its transaction is `interceptTransactions` below
// (`Database.beginTransaction`, which runUnitOfWork calls on the command's first `work.transaction()`, and
// `Database.commitAlone`, which sends a unit made only of queued writes as one statement: under a fault that one
// statement runs inside BEGIN … COMMIT instead, so the fault has a commit to hold or fail).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database, OpenTransaction } from '../../src/db/database.ts';

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

/** Applies `fault` to the first transaction opened in the async context of `run`. Installs itself once per database. */
function interceptTransactions(db: Database): void {
  if (intercepted.has(db)) return;
  intercepted.add(db);
  const original = db.beginTransaction.bind(db);
  const originalAlone = db.commitAlone.bind(db);
  (db as { commitAlone: Database['commitAlone'] }).commitAlone = async (statement, options) => {
    const pending = scope.getStore();
    if (!pending || pending.used) return originalAlone(statement, options);
    const open = await db.beginTransaction(); // the faulty one (below): it takes `pending`
    try {
      await statement.execute(open.tx.core);
    } catch (error) {
      await open.rollback();
      throw error;
    }
    await open.commit();
  };
  (db as { beginTransaction: () => Promise<OpenTransaction> }).beginTransaction = async () => {
    const pending = scope.getStore();
    if (!pending || pending.used) return original();
    pending.used = true;
    const fault = pending.fault;
    if (fault.kind === 'hold' && fault.at === 'open') {
      fault.reached();
      await fault.until;
      return original();
    }
    const open = await original();
    if (fault.kind === 'fail') {
      return {
        ...open,
        commit: async () => {
          await open.rollback();
          throw fault.error;
        },
      };
    }
    return {
      ...open,
      commit: async () => {
        fault.reached();
        await fault.until;
        await open.commit();
      },
    };
  };
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
