// The request-log recorder: batches, retries a failed batch, and never holds more than its bound.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deps } from '../deps.ts';
import type { RequestLogEntry } from './request-log.ts';
import { RequestLogRecorder } from './request-log-recorder.ts';

function entry(i: number): RequestLogEntry {
  return {
    id: `req_${String(i).padStart(26, '0')}`,
    environment: 'sandbox',
    platformId: 'acct_x',
    keyId: 'key_x',
    accountId: null,
    onBehalfOf: null,
    method: 'GET',
    path: '/api/v1/account',
    status: 200,
    errorCode: null,
    at: new Date(),
  };
}

/** The rows of a batch insert: they travel as one JSON array parameter of the insert's select expression. */
function rowsIn(expression: { toOperationNode(): unknown }): number {
  const node = expression.toOperationNode() as { parameters?: { kind: string; value?: unknown }[] };
  const json = node.parameters?.find((p) => p.kind === 'ValueNode' && typeof p.value === 'string' && p.value.startsWith('['));
  return (JSON.parse(json?.value as string) as unknown[]).length;
}

/** A Deps whose database only records insert batches (and can be told to fail). */
function fakeDeps(state: { fail: boolean; batches: number[] }): Deps {
  const chain = {
    columns() {
      return this;
    },
    expression(expression: { toOperationNode(): unknown }) {
      state.batches.push(rowsIn(expression));
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

describe('RequestLogRecorder', () => {
  it('writes a batch in one insert, keeps it after a failure, and retries', async () => {
    const state = { fail: true, batches: [] as number[] };
    const errors: unknown[] = [];
    const recorder = new RequestLogRecorder(fakeDeps(state), ['sandbox'], 60_000, (e) => errors.push(e));
    for (let i = 0; i < 5; i++) recorder.record(entry(i));
    await recorder.flush();
    assert.equal(errors.length, 1);
    state.fail = false;
    recorder.record(entry(5));
    await recorder.flush();
    assert.deepEqual(state.batches, [5, 6]);
  });

  it('drops the oldest entries beyond its bound instead of growing without limit', async () => {
    const state = { fail: false, batches: [] as number[] };
    const recorder = new RequestLogRecorder(fakeDeps(state), ['sandbox'], 60_000, () => undefined);
    for (let i = 0; i < 20_010; i++) recorder.record(entry(i));
    assert.equal(recorder.dropped, 10);
    await recorder.flush();
    assert.equal(state.batches.reduce((a, b) => a + b, 0), 20_000);
  });
});
