// One-time form ids for "Generate key": reloading the page that shows a new secret would re-send the form and mint
// a second key; the id lets the server recognise the repeat. Per process and in memory: a best-effort guard.
import { randomBytes } from 'node:crypto';

const ttlMs = 3600 * 1000;
const maxEntries = 10_000;

export class FormOnce {
  private readonly used = new Map<string, number>();

  newId(): string {
    return randomBytes(16).toString('base64url');
  }

  /** Claims the id; false when it was already claimed (a resubmission or a double click). */
  claim(scope: string, id: string, now = Date.now()): boolean {
    if (!/^[A-Za-z0-9_-]{10,64}$/.test(id)) return true; // no usable id: let the request through rather than block it
    const key = `${scope}:${id}`;
    const at = this.used.get(key);
    if (at !== undefined && now - at < ttlMs) return false;
    if (this.used.size >= maxEntries) {
      const oldest = this.used.keys().next().value;
      if (oldest !== undefined) this.used.delete(oldest);
    }
    this.used.set(key, now);
    return true;
  }

  /** Gives the id back when the submission failed, so correcting the form and sending it again works. */
  release(scope: string, id: string): void {
    this.used.delete(`${scope}:${id}`);
  }
}
