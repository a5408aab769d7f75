// FX test helpers: the one assertion the FX tests make of every refusal.
import assert from 'node:assert/strict';
import type { CallResult } from './context.ts';

/** The answer is `status` with `code`, and names `field` in its detail when one is given. */
export function expectError(result: CallResult, status: number, code: string, field?: string): void {
  assert.equal(result.status, status, result.raw);
  assert.equal(result.body.error.code, code, result.raw);
  if (field !== undefined) assert.equal(result.body.error.detail?.field, field, result.raw);
}
