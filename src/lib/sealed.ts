// Data at rest: AES-256-GCM envelopes ("v1:<key id>:<nonce|ciphertext|tag>") under a keyring of one current key and
// the older keys still needed to read rows sealed before a rotation. Pure: no files, no database.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const version = 'v1';
const nonceBytes = 12;
const tagBytes = 16;
export const dataKeyBytes = 32;

/**
 * What a sealed value looks like. The database CHECK constraints (migration 0009) hold the same pattern in SQL, so a
 * column that holds sealed values can never be written with anything else.
 */
export const sealedPattern = /^v1:[A-Za-z0-9_-]{8}:[A-Za-z0-9_-]+$/;

/** A sealed value could not be opened: unknown key, altered bytes, or a value moved from another row. */
export class SealedDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedDataError';
  }
}

/**
 * A 32-byte key written as base64 or base64url (`openssl rand -base64 32`) or as 64 hex digits; undefined for
 * anything else. Never put the text in an error message: it is the key.
 */
export function parseDataKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === dataKeyBytes ? key : undefined;
}

/** A new random key in the form parseDataKey reads. */
export function generateDataKeyText(): string {
  return randomBytes(dataKeyBytes).toString('base64');
}

/**
 * A key's public name, stored in every envelope so a row says which key opens it: derived from the key (so two
 * deployments with the same key agree, and no one has to name keys), one-way (it says nothing about the key).
 */
export function dataKeyId(key: Buffer): string {
  return createHash('sha256').update('pik data key id\0').update(key).digest('base64url').slice(0, 8);
}

/** The key id an envelope names, or undefined when the text is not an envelope (a plaintext row). */
export function sealedKeyId(text: string): string | undefined {
  return sealedPattern.test(text) ? text.split(':')[1] : undefined;
}

export class DataKeyring {
  readonly currentKeyId: string;
  readonly #keys = new Map<string, Buffer>();

  constructor(current: Buffer, old: readonly Buffer[] = []) {
    for (const key of [current, ...old]) {
      if (key.length !== dataKeyBytes) throw new Error(`a data key must be ${dataKeyBytes} bytes`);
    }
    this.currentKeyId = dataKeyId(current);
    this.#keys.set(this.currentKeyId, current);
    for (const key of old) if (!this.#keys.has(dataKeyId(key))) this.#keys.set(dataKeyId(key), key);
  }

  /** Every key id this keyring can open, the current one first. */
  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  canOpen(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /**
   * Seals under the current key. `context` names where the value lives (its table, column and row): it is
   * authenticated but not stored, so the envelope opens only with the same context — a value copied to another row
   * fails to open instead of showing one customer's identity as another's.
   */
  seal(plaintext: string, context: string): string {
    const header = `${version}:${this.currentKeyId}:`;
    const nonce = randomBytes(nonceBytes);
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.currentKeyId) as Buffer, nonce);
    // The header is part of the associated data too, so an envelope cannot be relabelled to another key or version.
    cipher.setAAD(Buffer.from(header + context, 'utf8'));
    const body = Buffer.concat([nonce, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return header + body.toString('base64url');
  }

  /** Opens an envelope sealed under any key of the ring, for the same context; SealedDataError otherwise. */
  open(envelope: string, context: string): string {
    const keyId = sealedKeyId(envelope);
    if (keyId === undefined) throw new SealedDataError('the stored value is not a sealed envelope');
    const key = this.#keys.get(keyId);
    if (!key) throw new SealedDataError(`the stored value is sealed under data key ${keyId}, which is not configured (PIK_DATA_KEY, PIK_DATA_KEYS_OLD)`);
    const body = Buffer.from(envelope.slice(`${version}:${keyId}:`.length), 'base64url');
    if (body.length < nonceBytes + tagBytes) throw new SealedDataError('the stored envelope is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, nonceBytes));
    decipher.setAAD(Buffer.from(`${version}:${keyId}:${context}`, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - tagBytes));
    try {
      return Buffer.concat([decipher.update(body.subarray(nonceBytes, body.length - tagBytes)), decipher.final()]).toString('utf8');
    } catch {
      throw new SealedDataError(`the stored envelope under data key ${keyId} failed authentication: altered, or moved from another row`);
    }
  }
}
