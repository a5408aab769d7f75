// The schedule of one delivery: delivered on any 2xx, retried by the schedule or a longer Retry-After, then undelivered.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextStep, type AttemptResult } from './dispatcher.ts';

const at = new Date('2026-12-01T00:00:00Z');
const answer = (statusCode: number | null, retryAfterMs: number | null = null): AttemptResult => ({ statusCode, durationMs: 5, error: statusCode === null ? 'timed out' : null, responseBody: null, retryAfterMs });
const schedule = [300_000, 1_800_000];

describe('nextStep', () => {
  it('any 2xx delivers; 1xx, 3xx, 4xx, 5xx and no answer do not', () => {
    for (const code of [200, 201, 204, 299]) assert.deepEqual(nextStep(1, answer(code), schedule, at), { status: 'delivered', nextAttemptAt: null });
    for (const code of [null, 101, 199, 301, 302, 400, 410, 429, 500, 503]) assert.equal(nextStep(1, answer(code), schedule, at).status, 'pending', String(code));
  });

  it('waits the schedule’s step after attempt n, then gives up after the last', () => {
    assert.deepEqual(nextStep(1, answer(500), schedule, at).nextAttemptAt, new Date(at.getTime() + 300_000));
    assert.deepEqual(nextStep(2, answer(500), schedule, at).nextAttemptAt, new Date(at.getTime() + 1_800_000));
    assert.deepEqual(nextStep(3, answer(500), schedule, at), { status: 'undelivered', nextAttemptAt: null });
    assert.deepEqual(nextStep(9, answer(null), schedule, at), { status: 'undelivered', nextAttemptAt: null }, 'a redelivery after the schedule is one attempt');
  });

  it('Retry-After counts only when longer than the step, and at most 7 days', () => {
    assert.deepEqual(nextStep(1, answer(503, 60_000), schedule, at).nextAttemptAt, new Date(at.getTime() + 300_000));
    assert.deepEqual(nextStep(1, answer(503, 3_600_000), schedule, at).nextAttemptAt, new Date(at.getTime() + 3_600_000));
    assert.deepEqual(nextStep(1, answer(503, 90 * 86_400_000), schedule, at).nextAttemptAt, new Date(at.getTime() + 7 * 86_400_000));
  });
});
