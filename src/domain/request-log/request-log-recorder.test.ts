// The request-log recorder: one segment per key per flush, retried with the same ids after a failure, bounded memory.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { Deps } from '../deps.ts';
import { RequestLogRecorder } from './request-log-recorder.ts';

interface Insert {
  id: string;
  key_id: string;
  account_ids: string[];
  entry_count: number;
  entries: Buffer;
  first_at: Date;
  last_at: Date;
}

/** The lines a segment insert carries: its entries value is decode(<base64 of gzip>, 'base64'). */
function linesOf(row: Insert): unknown[][] {
  const node = (row.entries as unknown as { toOperationNode(): { parameters: { value: unknown }[] } }).toOperationNode();
  const base64 = node.parameters.map((p) => p.value).find((v): v is string => typeof v === 'string') ?? '';
  return gunzipSync(Buffer.from(base64, 'base64')).toString('utf8').split('\n').map((line) => JSON.parse(line) as unknown[]);
}

/** A Deps whose database only records the rows of segment inserts (and can be told to fail). */
function fakeDeps(state: { fail: boolean; inserts: Insert[][] }): Deps {
  const chain = {
    values(rows: Insert[]) {
      state.inserts.push(rows);
      return this;
    },
    onConflict() {
      return this;
    },
    where() {
      return this;
    },
    async execute() {
      if (state.fail) throw new Error('database down');
      return [];
    },
  };
  const env = { insertInto: () => chain, deleteFrom: () => chain };
  return { db: { env: () => env }, now: () => new Date() } as unknown as Deps;
}

function record(recorder: RequestLogRecorder, keyId: string, i: number, path = '/api/v1/account', accountId: string | null = null): void {
  recorder.record('sandbox', 'acct_p', keyId, `req_${String(i).padStart(26, '0')}`, 1_700_000_000_000 + i, 'GET', path, 200, null, accountId, null);
}

describe('RequestLogRecorder', () => {
  it('writes one segment per key, its requests as JSON lines in order', async () => {
    const state = { fail: false, inserts: [] as Insert[][] };
    const recorder = new RequestLogRecorder(fakeDeps(state), ['sandbox'], 60_000, () => undefined);
    record(recorder, 'key_a', 1);
    record(recorder, 'key_b', 2, '/api/v1/accounts/acct_x', 'acct_x');
    record(recorder, 'key_a', 3, '/api/v1/wallets/"quoted"\\ü€😀');
    await recorder.flush();
    const rows = state.inserts.flat();
    assert.deepEqual(rows.map((r) => [r.key_id, r.entry_count, r.id]), [
      ['key_a', 2, `req_${'3'.padStart(26, '0')}`],
      ['key_b', 1, `req_${'2'.padStart(26, '0')}`],
    ]);
    const a = rows[0]!;
    assert.deepEqual(
      linesOf(a),
      [
        [`req_${'1'.padStart(26, '0')}`, 1_700_000_000_001, 'GET', '/api/v1/account', 200, null, null, null],
        [`req_${'3'.padStart(26, '0')}`, 1_700_000_000_003, 'GET', '/api/v1/wallets/"quoted"\\ü€😀', 200, null, null, null],
      ],
    );
    assert.deepEqual([a.first_at.getTime(), a.last_at.getTime()], [1_700_000_000_001, 1_700_000_000_003]);
    assert.deepEqual(rows[1]!.account_ids, ['acct_x']);
    // Nothing left: the next flush writes nothing.
    await recorder.flush();
    assert.equal(state.inserts.length, 1);
  });

  it('a flush called while another is writing also writes what was recorded after that one began', async () => {
    const state = { fail: false, inserts: [] as Insert[][] };
    const recorder = new RequestLogRecorder(fakeDeps(state), ['sandbox'], 60_000, () => undefined);
    record(recorder, 'key_a', 1);
    const first = recorder.flush(); // closes key_a's segment, then compresses it off-thread
    record(recorder, 'key_a', 2);
    await recorder.flush();
    await first;
    assert.deepEqual(state.inserts.flat().map((r) => r.entry_count), [1, 1]);
  });

  it('writes a request that repeats the line before it as a short line', async () => {
    const state = { fail: false, inserts: [] as Insert[][] };
    const recorder = new RequestLogRecorder(fakeDeps(state), ['sandbox'], 60_000, () => undefined);
    record(recorder, 'key_a', 1);
    record(recorder, 'key_a', 2);
    record(recorder, 'key_a', 3, '/api/v1/accounts');
    record(recorder, 'key_a', 4, '/api/v1/accounts');
    await recorder.flush();
    record(recorder, 'key_a', 5, '/api/v1/accounts'); // a new segment starts with a full line
    await recorder.flush();
    const [first, second] = state.inserts.flat().map(linesOf);
    assert.deepEqual(first!.map((line) => line.length), [8, 2, 8, 2]);
    assert.deepEqual(second!.map((line) => line.length), [8]);
  });

  it('grows a segment past its first buffer without losing a byte', async () => {
    const state = { fail: false, inserts: [] as Insert[][] };
    const recorder = new RequestLogRecorder(fakeDeps(state), ['sandbox'], 60_000, () => undefined);
    for (let i = 0; i < 500; i++) record(recorder, 'key_a', i, `/api/v1/${'é'.repeat(i % 90)}`);
    await recorder.flush();
    const lines = linesOf(state.inserts.flat()[0]!);
    assert.equal(lines.length, 500);
    lines.forEach((line, i) => assert.equal(line[3], `/api/v1/${'é'.repeat(i % 90)}`));
  });

  it('keeps a segment after a failed write and retries it under the same id', async () => {
    const state = { fail: true, inserts: [] as Insert[][] };
    const errors: unknown[] = [];
    const recorder = new RequestLogRecorder(fakeDeps(state), ['sandbox'], 60_000, (e) => errors.push(e));
    for (let i = 0; i < 5; i++) record(recorder, 'key_a', i);
    await recorder.flush();
    assert.equal(errors.length, 1);
    state.fail = false;
    record(recorder, 'key_a', 5);
    await recorder.flush();
    const [failed, retried] = state.inserts;
    assert.deepEqual(failed!.map((r) => r.entry_count), [5]);
    // The retry carries the failed segment unchanged (same id, so a write that did land is not duplicated) and the new one.
    assert.deepEqual(retried!.map((r) => [r.id, r.entry_count]), [
      [failed![0]!.id, 5],
      [`req_${'5'.padStart(26, '0')}`, 1],
    ]);
  });

  it('stops logging, and counts, once its buffers hold their bound', async () => {
    const state = { fail: true, inserts: [] as Insert[][] };
    const recorder = new RequestLogRecorder(fakeDeps(state), ['sandbox'], 60_000, () => undefined);
    const longPath = `/api/v1/${'x'.repeat(290)}`;
    let i = 0;
    // Alternating paths, so that every line is a full one.
    while (recorder.dropped === 0) record(recorder, 'key_a', i, `${longPath}${i++ % 2}`);
    const accepted = i - 1;
    assert.ok(accepted > 50_000 && accepted < 200_000, `accepted ${accepted} lines of ~360 bytes before the 32 MiB bound`);
    // A failed write keeps the segment, compressed: the bound now counts its compressed size, so logging resumes.
    await recorder.flush();
    record(recorder, 'key_a', i++, longPath);
    assert.equal(recorder.dropped, 1);
    state.fail = false;
    await recorder.flush();
    assert.deepEqual(state.inserts.at(-1)!.map((r) => r.entry_count), [accepted, 1]);
  });
});
