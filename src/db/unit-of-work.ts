// The unit of work: one database transaction plus the steps that must commit with it and the steps that must wait for it.
import { sql, type OperationNodeSource, type RawBuilder } from 'kysely';
import type { AuditAction } from '../lib/audit-actions.ts';
import type { Environment } from '../lib/environments.ts';
import { newId } from '../lib/ids.ts';
import { keyLikePattern } from '../lib/api-key.ts';
import type { Database, Tx } from './database.ts';
import { GroupCommit } from './group-commit.ts';
import { coreStatements } from './statements.ts';

/**
 * A write whose result the command does not need, queued with `UnitOfWork.write` and sent with the unit's other
 * queued writes as ONE statement (data-modifying CTEs): at commit, or when the command next asks for the transaction.
 */
export interface Write {
  /** A Kysely query (insert, update, delete, or a select of a function that writes) or an sql`` fragment. */
  statement: OperationNodeSource;
  /**
   * The statement must return exactly `count` rows (its RETURNING rows, or a function's one row), or the whole unit of
   * work fails with `otherwise()` — checked inside the database, so nothing commits. A select of a function must
   * declare it: a CTE that is only a select runs only when it is read.
   */
  expectRows?: { count: number; otherwise: () => Error };
  /** Turns the database's refusal of this statement into the domain's answer; undefined when the error is not its own. */
  translate?: (error: unknown) => Error | undefined;
  /**
   * The wallet balance rows the statement locks (post_movement). A group commit locks the rows of all its units first,
   * in post_movement's order, so that two batches never take the same rows in opposite orders (group-commit.ts).
   */
  locksBalances?: { environment: Environment; keys: { ledgerAccount: string; currency: string }[] };
  /** A ledger movement's type (postMovement): counted in committedMovements once the unit has committed. */
  movementType?: string;
}

import type { AuditActorType } from './schema.ts';

/** Who acted: a dashboard user, the operator, an API key (by id), or PIK itself (a worker, a leak report). */
export interface AuditActor {
  type: AuditActorType;
  id: string | null;
}

/** Where a unit of work came from, set by the edge that opens it: the actor of its audit entries and their address. */
export interface AuditOrigin {
  actor: AuditActor;
  ip: string | null;
  userAgent: string | null;
}

export const systemOrigin: AuditOrigin = { actor: { type: 'system', id: null }, ip: null, userAgent: null };

/** One audited action, as the command that performed it describes it; the actor and address come from the origin. */
export interface AuditRecord {
  action: AuditAction;
  platformId: string | null;
  environment: Environment | null;
  targetType: string;
  targetId: string | null;
  /** What changed, never a secret: a key-shaped string here refuses the whole unit of work. */
  details?: Record<string, unknown>;
  /** Instead of the origin's actor (a sign-in names the user it signed in). */
  actor?: AuditActor;
}

/**
 * Opened at the edge (a route, a dashboard action, an operator command, a worker) and passed into the domain command
 * as an argument. The command calls `transaction()` when it starts writing; whatever must be atomic with the change
 * (an idempotent response, a NOTIFY, an outbox event) is written through that same `Tx` or registered with
 * `beforeCommit`; whatever must only happen once the change is durable (dropping a cached row in this process,
 * waking a worker) is registered with `afterCommit`. Nothing is hidden: a reader follows this one object.
 */
export interface UnitOfWork {
  /**
   * The transaction, begun on the first call and the same on every later one. Inside a unit of work every query
   * goes through it: PGlite serves one query at a time, so a query on the outer handle would wait for this
   * transaction forever.
   */
  transaction(): Promise<Tx>;
  /** Runs inside the transaction, after the command, just before COMMIT; if it throws, the whole change rolls back. */
  beforeCommit(step: (tx: Tx) => Promise<void>): void;
  /**
   * Queues a write to be sent with the unit's other queued writes as one statement, after the command and its
   * beforeCommit steps (or as soon as the command next calls `transaction()`, so it reads what it wrote). A unit of work
   * made only of queued writes is one round trip: that statement, committed on its own. A refusal in any of them
   * (a constraint, a ledger guard, an `expectRows`) fails the unit of work with the write's own error.
   */
  write(write: Write): void;
  /** Runs once the transaction has committed, never after a rollback. */
  afterCommit(step: () => void): void;
  /**
   * Says that this unit recorded events in `environment`'s outbox (recordEvent calls it): once it commits, the webhook
   * worker of every server process is woken (Database.outbox), so a delivery starts within milliseconds.
   */
  eventsRecorded(environment: Environment): void;
  /**
   * Records an audit entry that commits with this unit of work's change, or not at all: a queued write (see `write`),
   * sent in the unit's one statement with the change.
   */
  audit(record: AuditRecord): void;
}

/** What happens to an afterCommit step that throws: the change is committed, so the caller still gets its answer. */
export type AfterCommitFailure = (error: unknown) => void;

const warn: AfterCommitFailure = (error) => process.emitWarning(`an afterCommit step failed: ${error instanceof Error ? error.message : String(error)}`);

/**
 * Thrown inside a unit of work to have it rolled back and run again from the start: every lock it took is released,
 * `prepare` runs outside any transaction, then the command runs afresh. For the rare step that cannot be done in
 * order under the locks already held (creating a wallet's first balance row: see lockBalances).
 */
export class RetryUnitOfWork extends Error {
  constructor(
    reason: string,
    readonly prepare?: (db: Database) => Promise<void>,
  ) {
    super(`retry the unit of work: ${reason}`);
    this.name = 'RetryUnitOfWork';
  }
}

/** PostgreSQL's own refusals that a fresh attempt of the same transaction can pass: deadlock, serialization failure. */
function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/** Attempts of one unit of work, the first included; after them the last error goes to the caller (a 500). */
const maxAttempts = 5;

/**
 * Runs `fn` as one unit of work and commits it, or rolls everything back if `fn` or a beforeCommit step throws.
 * A unit of work whose command never asked for the transaction and registered nothing costs no round trip.
 * A deadlock or serialization failure reported by PostgreSQL, or a RetryUnitOfWork, runs the whole command again (up
 * to 5 attempts in all, with a short random pause): nothing of a rolled-back attempt remains, and the steps it
 * registered are forgotten with it. So `fn` may run more than once: whatever it changes outside the transaction it
 * must do in an afterCommit step, or undo at its start (the webhook fan-out resets the deliveries it meant to start).
 */
export async function runUnitOfWork<T>(
  db: Database,
  fn: (work: UnitOfWork) => Promise<T>,
  onAfterCommitFailure: AfterCommitFailure = warn,
  origin: AuditOrigin = systemOrigin,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptUnitOfWork(db, fn, onAfterCommitFailure, origin);
    } catch (error) {
      const retry = error instanceof RetryUnitOfWork;
      if ((!retry && !isTransient(error)) || attempt >= maxAttempts) throw error;
      if (retry) await error.prepare?.(db);
      else await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

/** An audit entry's details must hold no secret: a key-shaped string is a bug, refused before anything commits. */
function assertNoSecret(details: Record<string, unknown>): string {
  const text = JSON.stringify(details);
  keyLikePattern.lastIndex = 0;
  if (keyLikePattern.test(text)) throw new Error('an audit entry must not hold an API key');
  return text;
}

/** The audit entry as a queued write: it reaches the database in the unit's one statement, with the change. */
function auditEntryWrite(origin: AuditOrigin, record: AuditRecord, details: string): Write {
  const actor = record.actor ?? origin.actor;
  return {
    statement: coreStatements.insertInto('core.audit_log').values({
      id: newId('auditEntry'),
      platform_id: record.platformId,
      environment: record.environment,
      actor_type: actor.type,
      actor_id: actor.id,
      action: record.action,
      target_type: record.targetType,
      target_id: record.targetId,
      ip: origin.ip,
      user_agent: origin.userAgent === null ? null : origin.userAgent.slice(0, 300),
      details,
    }),
  };
}

async function attemptUnitOfWork<T>(db: Database, fn: (work: UnitOfWork) => Promise<T>, onAfterCommitFailure: AfterCommitFailure, origin: AuditOrigin): Promise<T> {
  const before: ((tx: Tx) => Promise<void>)[] = [];
  const after: (() => void)[] = [];
  let queued: Write[] = [];
  const eventsIn = new Set<Environment>();
  let open: Promise<{ tx: Tx; commit: () => Promise<void>; rollback: () => Promise<void> }> | undefined;
  let finished = false;
  const begin = (): Promise<{ tx: Tx; commit: () => Promise<void>; rollback: () => Promise<void> }> => {
    if (finished) return Promise.reject(new Error('this unit of work has already finished'));
    open ??= db.beginTransaction();
    return open;
  };
  /** Sends the queued writes through the open transaction, if any are queued. */
  const flushInto = async (tx: Tx): Promise<void> => {
    if (queued.length === 0) return;
    const writes = queued;
    queued = [];
    await sendWrites(writes, (statement) => statement.execute(tx.core));
  };
  const work: UnitOfWork = {
    transaction: async () => {
      const { tx } = await begin();
      await flushInto(tx);
      return tx;
    },
    write: (write) => {
      if (finished) throw new Error('this unit of work has already finished');
      queued.push(write);
      const type = write.movementType;
      if (type !== undefined) after.push(() => countMovement(db, type));
    },
    beforeCommit: (step) => {
      if (finished) throw new Error('this unit of work has already finished');
      before.push(step);
    },
    afterCommit: (step) => {
      if (finished) throw new Error('this unit of work has already finished');
      after.push(step);
    },
    eventsRecorded: (environment) => {
      if (finished) throw new Error('this unit of work has already finished');
      if (eventsIn.size === 0) after.push(() => eventsIn.forEach((e) => db.outbox.recorded(e)));
      eventsIn.add(environment);
    },
    audit: (record) => {
      if (finished) throw new Error('this unit of work has already finished');
      const details = assertNoSecret(record.details ?? {});
      queued.push(auditEntryWrite(origin, record, details));
    },
  };

  let result: T;
  try {
    result = await fn(work);
    if (before.length > 0 || open !== undefined) {
      const transaction = await begin();
      // A step may register further steps (a stored response that also wakes a worker): run until none is left.
      for (let i = 0; i < before.length; i++) await (before[i] as (tx: Tx) => Promise<void>)(transaction.tx);
      await flushInto(transaction.tx);
      finished = true;
      await transaction.commit();
    } else if (queued.length > 0) {
      // Nothing but queued writes: one statement is its own transaction, atomic without BEGIN and COMMIT, and may go
      // together with other units' statements (group commit).
      finished = true;
      const writes = queued;
      queued = [];
      await groupCommitOf(db).submit(writes);
    }
    finished = true;
  } catch (error) {
    finished = true;
    if (open !== undefined) {
      // A failed BEGIN leaves nothing to roll back; a failed ROLLBACK (connection lost) must not hide the real error.
      await open.then((t) => t.rollback()).catch(() => undefined);
    }
    throw error;
  }
  for (const step of after) {
    try {
      step();
    } catch (error) {
      onAfterCommitFailure(error);
    }
  }
  return result;
}

const groupCommits = new WeakMap<Database, GroupCommit>();

/**
 * One group commit per database, with four lanes. On PGlite (one statement at a time) the lanes only wait for its
 * connection, but a unit stalled before it reaches the database (a slow node, a test's fault) must not stop the others:
 * with one lane it would hold every later unit behind it.
 */
const movementCounts = new WeakMap<Database, Map<string, number>>();

function countMovement(db: Database, type: string): void {
  let counts = movementCounts.get(db);
  if (!counts) {
    counts = new Map();
    movementCounts.set(db, counts);
  }
  counts.set(type, (counts.get(type) ?? 0) + 1);
}

/** Ledger movements committed through `db` by this process since it started, by type (for /metrics). */
export function committedMovements(db: Database): ReadonlyMap<string, number> {
  return movementCounts.get(db) ?? new Map();
}

function groupCommitOf(db: Database): GroupCommit {
  let group = groupCommits.get(db);
  if (!group) {
    group = new GroupCommit(db, 4, sendWrites);
    groupCommits.set(db, group);
  }
  return group;
}

/**
 * The queued writes as one statement: `with w0 as (…), w1 as (…) select …`, where the select reads every write that
 * expects a number of rows through pik_expect_rows (migration 0013), which raises PK003 naming the write otherwise.
 * A lone write without expectation goes as it is.
 */
async function sendWrites(writes: Write[], execute: (statement: RawBuilder<unknown>) => Promise<unknown>): Promise<void> {
  const only = writes[0];
  const statement =
    writes.length === 1 && only && !only.expectRows
      ? sql`${only.statement}`
      : sql`with ${sql.join(
          writes.map((w, i) => sql`${sql.id(`w${i}`)} as (${w.statement})`),
          sql`, `,
        )} select ${sql.join([
          sql`1`,
          ...writes.flatMap((w, i) =>
            w.expectRows ? [sql`public.pik_expect_rows((select count(*) from ${sql.id(`w${i}`)}), ${w.expectRows.count}, ${`w${i}`})`] : [],
          ),
        ])}`;
  try {
    await execute(statement);
  } catch (error) {
    throw translateWriteError(writes, error);
  }
}

function translateWriteError(writes: Write[], error: unknown): unknown {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e?.code === 'PK003' && typeof e.message === 'string') {
    const failed = writes[Number(e.message.slice(1))];
    if (failed?.expectRows) return failed.expectRows.otherwise();
  }
  for (const w of writes) {
    const translated = w.translate?.(error);
    if (translated) return translated;
  }
  return error;
}
