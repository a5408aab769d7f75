// A movement into a wallet with no balance row in that currency yet (its first money in it): post_movement refuses
// with PK001 and the rows it could not lock, and the unit of work runs again once they exist. Under concurrency the
// rows can appear between the function's lock and its error (another unit created them): the list is then empty. It
// was null, and RAISE refused it with 22004 — answered 500 in CI, twice in one run. Migration 0020 makes it ''.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { RetryUnitOfWork, type UnitOfWork, type Write } from '../src/db/unit-of-work.ts';
import { createBalanceRows, postMovement } from '../src/domain/ledger/ledger.ts';
import { environments } from '../src/lib/environments.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';

let test: TestDatabase;
before(async () => {
  test = await createTestDatabase();
});
after(() => test.drop());

/** The write postMovement queues, caught by a unit of work that only records. */
function queuedWrite(): Write {
  const writes: Write[] = [];
  const work = { write: (w: Write) => void writes.push(w) } as unknown as UnitOfWork;
  postMovement(work, 'sandbox', 'tr_test', [
    { ledgerAccount: 'acct_a', currency: 'AUD', bucket: 'available', amount: -1n },
    { ledgerAccount: 'acct_b', currency: 'AUD', bucket: 'available', amount: 1n },
  ], new Date());
  return writes[0] as Write;
}

describe('a wallet with no balance row yet', () => {
  it('post_movement never raises with a null detail (migration 0020), in every environment', async () => {
    for (const environment of environments) {
      const { rows } = await sql<{ definition: string }>`select pg_get_functiondef(${`${environment}.post_movement`}::regproc) as definition`.execute(test.db.core);
      assert.match(rows[0]?.definition ?? '', /detail = coalesce\(\(select string_agg/, environment);
    }
  });

  it('PK001 names the missing rows; the retry creates them first', async () => {
    const refusal = queuedWrite().translate?.({ code: 'PK001', detail: 'acct_a|AUD\nacct_b|AUD' });
    assert.ok(refusal instanceof RetryUnitOfWork);
    await refusal.prepare?.(test.db);
    const { rows } = await sql<{ n: string }>`select count(*)::text as n from sandbox.ledger_balances where ledger_account in ('acct_a', 'acct_b')`.execute(test.db.core);
    assert.equal(rows[0]?.n, '2');
  });

  it('PK001 with an empty list (another unit created the rows meanwhile): retried, nothing to create', async () => {
    const refusal = queuedWrite().translate?.({ code: 'PK001', detail: '' });
    assert.ok(refusal instanceof RetryUnitOfWork);
    await refusal.prepare?.(test.db); // resolves: no insert of zero rows
    await createBalanceRows(test.db.env('sandbox'), []);
  });
});
