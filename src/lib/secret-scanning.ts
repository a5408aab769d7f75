// GitHub's secret-scanning partner format: the public-key list PIK accepts reports under, and the signature check
// (ECDSA P-256 with SHA-256 over the raw request body, the signature base64 DER in Github-Public-Key-Signature).
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

export interface ScanningPublicKey {
  keyIdentifier: string;
  key: KeyObject;
  isCurrent: boolean;
}

/**
 * PIK_SECRET_SCANNING_PUBLIC_KEYS: the JSON GitHub publishes at
 * https://api.github.com/meta/public_keys/secret_scanning — {"public_keys": [{"key_identifier", "key", "is_current"}]},
 * each key a PEM ECDSA P-256 public key. Returns the keys, or the reason the text is not such a list.
 */
export function parseScanningPublicKeys(text: string): ScanningPublicKey[] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'is not JSON';
  }
  const list = (parsed as { public_keys?: unknown } | null)?.public_keys;
  if (!Array.isArray(list) || list.length === 0) return 'must be {"public_keys": [...]} with at least one key';
  const keys: ScanningPublicKey[] = [];
  for (const [index, entry] of list.entries()) {
    const { key_identifier: id, key, is_current: isCurrent } = (entry ?? {}) as Record<string, unknown>;
    if (typeof id !== 'string' || id.length === 0 || typeof key !== 'string') return `public_keys[${index}] needs key_identifier and key (PEM)`;
    let object: KeyObject;
    try {
      object = createPublicKey(key);
    } catch {
      return `public_keys[${index}].key is not a PEM public key`;
    }
    if (object.asymmetricKeyType !== 'ec' || object.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return `public_keys[${index}].key must be an ECDSA P-256 key`;
    keys.push({ keyIdentifier: id, key: object, isCurrent: isCurrent !== false });
  }
  return keys;
}

export type SignatureCheck = 'valid' | 'missing' | 'unknown_key' | 'invalid';

/** Whether `body` (the exact bytes received) was signed by the named key of `keys`. */
export function checkScanningSignature(keys: readonly ScanningPublicKey[], keyIdentifier: string | undefined, signature: string | undefined, body: Buffer): SignatureCheck {
  if (!keyIdentifier || !signature) return 'missing';
  const entry = keys.find((k) => k.keyIdentifier === keyIdentifier);
  if (!entry) return 'unknown_key';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return 'invalid';
  try {
    return verify('sha256', body, entry.key, Buffer.from(signature, 'base64')) ? 'valid' : 'invalid';
  } catch {
    return 'invalid';
  }
}
