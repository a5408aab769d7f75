// --idempotency-key, for the commands whose request must apply at most once however often it is retried.
import { newIdempotencyKey } from '../client.ts';

// Each such command sends an Idempotency-Key — a new one per run, or the one given with --idempotency-key to retry an
// earlier run whose outcome is unknown — and the client reuses it on its own retries (docs/ledger.md).
export const idempotencyKeyOption = ['--idempotency-key <key>', 'retry an earlier run: the key its failure printed (default: a new key)'] as const;

export function keyOf(options: { idempotencyKey?: string }): { idempotencyKey: string } {
  return { idempotencyKey: options.idempotencyKey ?? newIdempotencyKey() };
}
