// The operator's bearer token: from PIK_OPERATOR_TOKEN, or generated once into the data directory (mode 0600).
import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { randomBase62 } from '../lib/base62.ts';

export const operatorTokenFile = 'operator-token';

export interface OperatorToken {
  token: string;
  /** Where it was read from or written to; undefined when it came from the environment. */
  path: string | undefined;
  generated: boolean;
}

export function operatorTokenPath(dataDir: string): string {
  return path.join(dataDir, operatorTokenFile);
}

/** The server's side: use the configured token, else the stored one, else create and store one. */
export function loadOrCreateOperatorToken(configured: string | undefined, dataDir: string): OperatorToken {
  if (configured) return { token: configured, path: undefined, generated: false };
  const file = operatorTokenPath(dataDir);
  const existing = readTokenFile(file);
  if (existing) return { token: existing, path: file, generated: false };
  fs.mkdirSync(dataDir, { recursive: true });
  const token = `pikop_${randomBase62(40)}`;
  try {
    fs.writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { token: readTokenFile(file) ?? token, path: file, generated: false };
    throw error;
  }
  return { token, path: file, generated: true };
}

/** The CLI's side: the same places, in the same order, but never creates one. */
export function findOperatorToken(configured: string | undefined, dataDir: string): OperatorToken | undefined {
  if (configured) return { token: configured, path: undefined, generated: false };
  const file = operatorTokenPath(dataDir);
  const token = readTokenFile(file);
  return token ? { token, path: file, generated: false } : undefined;
}

function readTokenFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Constant-time comparison; hashing first makes the lengths equal so length is not leaked either. */
export function isOperatorToken(expected: string, presented: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}
