// The unit of work: what commits together, what waits for the commit, and what a rollback leaves behind.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { RetryUnitOfWork, runUnitOfWork } from '../src/db/unit-of-work.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase();
  await sql`create table uow_probe (name text primary key)`.execute(database.db.core);
});
after(() => database.drop());

const names = async (): Promise<string[]> => (await sql<{ name: string }>`select name from uow_probe order by name`.execute(database.db.core)).rows.map((r) => r.name);
const insert = (name: string) => sql`insert into uow_probe (name) values (${name})`;

describe('runUnitOfWork', () => {
  it('commits the command and its beforeCommit steps together, then runs afterCommit steps in order', async () => {
    const seen: string[] = [];
    const result = await runUnitOfWork(database.db, async (work) => {
      const tx = await work.transaction();
      assert.equal(await work.transaction(), tx, 'one transaction per unit of work');
      await insert('command').execute(tx.core);
      work.beforeCommit(async (t) => {
        await insert('before').execute(t.core);
        seen.push('before');
      });
      work.afterCommit(() => seen.push('after-1'));
      work.afterCommit(() => seen.push('after-2'));
      assert.deepEqual(seen, [], 'nothing runs while the command runs');
      return 'answer';
    });
    assert.equal(result, 'answer');
    assert.deepEqual(seen, ['before', 'after-1', 'after-2']);
    assert.deepEqual(await names(), ['before', 'command']);
  });

  it('a failing beforeCommit step rolls the command back, and no afterCommit step runs', async () => {
    let afterRan = false;
    await assert.rejects(
      runUnitOfWork(database.db, async (work) => {
        await insert('rolled-back').execute((await work.transaction()).core);
        work.beforeCommit(async () => {
          throw new Error('refused');
        });
        work.afterCommit(() => (afterRan = true));
      }),
      /refused/,
    );
    assert.equal(afterRan, false);
    assert.ok(!(await names()).includes('rolled-back'));
  });

  it('a failing command rolls back; the connection is returned (the next unit of work runs)', async () => {
    await assert.rejects(
      runUnitOfWork(database.db, async (work) => {
        await insert('half').execute((await work.transaction()).core);
        throw new Error('business rule');
      }),
      /business rule/,
    );
    assert.ok(!(await names()).includes('half'));
    await runUnitOfWork(database.db, async (work) => insert('next').execute((await work.transaction()).core));
    assert.ok((await names()).includes('next'));
  });

  it('a beforeCommit step needs no command transaction: the unit of work begins one for it', async () => {
    await runUnitOfWork(database.db, async (work) => work.beforeCommit(async (tx) => void (await insert('only-before').execute(tx.core))));
    assert.ok((await names()).includes('only-before'));
  });

  it('an afterCommit step that throws is reported, and the committed answer still comes back', async () => {
    const reported: unknown[] = [];
    const result = await runUnitOfWork(
      database.db,
      async (work) => {
        await insert('kept').execute((await work.transaction()).core);
        work.afterCommit(() => {
          throw new Error('cache gone');
        });
        return 'ok';
      },
      (error) => reported.push(error),
    );
    assert.equal(result, 'ok');
    assert.equal(reported.length, 1);
    assert.ok((await names()).includes('kept'));
  });

  it('a finished unit of work refuses further use', async () => {
    let kept: Parameters<Parameters<typeof runUnitOfWork>[1]>[0] | undefined;
    await runUnitOfWork(database.db, async (work) => {
      kept = work;
    });
    assert.throws(() => kept?.afterCommit(() => undefined), /already finished/);
    await assert.rejects(kept!.transaction(), /already finished/);
  });

  it('a deadlock or serialization failure runs the whole command again, forgetting what the failed attempt registered', async () => {
    const seen: string[] = [];
    let attempts = 0;
    await runUnitOfWork(database.db, async (work) => {
      attempts++;
      const tx = await work.transaction();
      await insert(`retried-${attempts}`).execute(tx.core);
      work.afterCommit(() => seen.push(`after-${attempts}`));
      if (attempts === 1) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      if (attempts === 2) throw Object.assign(new Error('could not serialize access'), { code: '40001' });
    });
    assert.equal(attempts, 3);
    assert.deepEqual(seen, ['after-3'], 'only the committed attempt’s steps ran');
    assert.deepEqual((await names()).filter((n) => n.startsWith('retried-')), ['retried-3'], 'the failed attempts left nothing');
  });

  it('RetryUnitOfWork: rolled back, its preparation runs outside the transaction, then the command again', async () => {
    let attempts = 0;
    await runUnitOfWork(database.db, async (work) => {
      attempts++;
      const tx = await work.transaction();
      const present = (await sql<{ name: string }>`select name from uow_probe where name = 'prepared'`.execute(tx.core)).rows.length > 0;
      if (!present) throw new RetryUnitOfWork('needs a row first', async (db) => void (await insert('prepared').execute(db.core)));
      await insert('after-preparation').execute(tx.core);
    });
    assert.equal(attempts, 2);
    assert.ok((await names()).includes('after-preparation'));
  });

  it('gives up after 5 attempts, and other errors are never retried', async () => {
    let attempts = 0;
    await assert.rejects(
      runUnitOfWork(database.db, async () => {
        attempts++;
        throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      }),
      /deadlock detected/,
    );
    assert.equal(attempts, 5);
    attempts = 0;
    await assert.rejects(
      runUnitOfWork(database.db, async () => {
        attempts++;
        throw Object.assign(new Error('duplicate key'), { code: '23505' });
      }),
      /duplicate key/,
    );
    assert.equal(attempts, 1);
  });
});
