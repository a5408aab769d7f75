// Group commit without a database: which statements are sent, when units go together, and that a refusal in a batch
// reaches only the unit it belongs to. (The ledger's concurrency and crash tests run it against PGlite and PostgreSQL.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql, type RawBuilder } from 'kysely';
import { GroupCommit } from './group-commit.ts';
import type { Write } from './unit-of-work.ts';

const compiler = new Kysely<Record<string, never>>({
  dialect: { createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new PostgresIntrospector(db), createQueryCompiler: () => new PostgresQueryCompiler() },
});
const textOf = (statement: RawBuilder<unknown>): string => statement.compile(compiler).sql;

/** A database whose statements wait until released; a statement containing `refuse` fails. */
function fakeDatabase() {
  const sent: { text: string; prepared: boolean }[] = [];
  const waiting: (() => void)[] = [];
  return {
    sent,
    release: () => waiting.splice(0).forEach((go) => go()),
    commitAlone: async (statement: RawBuilder<unknown>, options?: { prepared?: boolean }) => {
      const text = textOf(statement);
      sent.push({ text, prepared: options?.prepared ?? true });
      await new Promise<void>((resolve) => waiting.push(resolve));
      if (text.includes('refuse')) throw new Error('refused by the database');
    },
  };
}

const write = (name: string, extra: Partial<Write> = {}): Write[] => [{ statement: sql`insert into t values (${sql.lit(name)})`, ...extra }];
const sendAlone = async (writes: Write[], execute: (statement: RawBuilder<unknown>) => Promise<unknown>) => {
  const only = writes[0] as Write;
  try {
    await execute(sql`${only.statement}`);
  } catch {
    throw new Error(`${textOf(sql`${only.statement}`)} was refused`);
  }
};
const settled = (promise: Promise<void>) =>
  promise.then(
    () => 'committed',
    (error: unknown) => (error as Error).message,
  );

describe('GroupCommit', () => {
  it('sends a unit at once while a lane is free, and the units that arrive meanwhile together, as one statement', async () => {
    const db = fakeDatabase();
    const group = new GroupCommit(db, 1, sendAlone);
    const first = settled(group.submit(write('a')));
    const others = ['b', 'c', 'd'].map((name) => settled(group.submit(write(name))));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(db.sent.length, 1, 'the first went alone, without waiting for company');
    assert.match(db.sent[0]?.text ?? '', /'a'/);
    db.release();
    assert.equal(await first, 'committed');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(db.sent.length, 2, 'the three that queued went as one statement');
    const batch = db.sent[1] as { text: string; prepared: boolean };
    for (const name of ['b', 'c', 'd']) assert.match(batch.text, new RegExp(`'${name}'`));
    assert.equal(batch.prepared, false, 'a batch text is not worth a prepared-statement name');
    db.release();
    assert.deepEqual(await Promise.all(others), ['committed', 'committed', 'committed']);
  });

  it('a batch the database refuses is sent again unit by unit: the refusal reaches only its own unit', async () => {
    const db = fakeDatabase();
    const group = new GroupCommit(db, 1, sendAlone);
    const first = settled(group.submit(write('a')));
    const others = ['b', 'refuse', 'd'].map((name) => settled(group.submit(write(name))));
    await new Promise((resolve) => setImmediate(resolve));
    db.release();
    await first;
    for (let i = 0; i < 3 && db.sent.length < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      db.release();
    }
    assert.deepEqual(await Promise.all(others), ['committed', `insert into t values ('refuse') was refused`, 'committed']);
    assert.equal(db.sent.length, 5, 'one alone, one batch, then the three again each on its own');
  });

  it('a batch locks every balance row its units name first, in one order, before any unit runs', async () => {
    const db = fakeDatabase();
    const group = new GroupCommit(db, 1, sendAlone);
    const locks = (account: string): Partial<Write> => ({ locksBalances: { environment: 'sandbox', keys: [{ ledgerAccount: account, currency: 'AUD' }] } });
    const first = group.submit(write('a'));
    const rest = [group.submit(write('b', locks('acct_2'))), group.submit(write('c', locks('acct_1')))];
    await new Promise((resolve) => setImmediate(resolve));
    db.release();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    const text = db.sent[1]?.text ?? '';
    db.release();
    await Promise.all(rest);
    assert.match(text, /^with "lock_sandbox" as \(/, 'the lock comes first');
    assert.match(text, /order by b\.ledger_account, b\.currency\s+for update of b/);
    assert.match(text, /select 1, \(select count\(\*\) from "lock_sandbox"\)/, 'and is read first');
  });
});
