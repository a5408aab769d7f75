// Password hashing (argon2id) and the single password policy.
import { hash, verify } from '@node-rs/argon2';

export const minPasswordLength = 12;

export function passwordProblem(password: string): string | undefined {
  if (password.length < minPasswordLength) return `Passwords must be at least ${minPasswordLength} characters long.`;
  if (password.length > 256) return 'Passwords must be at most 256 characters long.';
  return undefined;
}

export function hashPassword(password: string): Promise<string> {
  // algorithm 2 is Argon2id (a const enum in the typings, which isolated modules cannot import).
  return hash(password, { algorithm: 2 });
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}
