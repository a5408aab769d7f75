// SHA-256 as hex, for values stored only as a hash (one-time tokens, session tokens).
import { createHash } from 'node:crypto';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
