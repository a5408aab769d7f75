// Webhook secrets and the signatures every delivery carries (issue 10, spec §6): PIK's own headers and the Standard
// Webhooks ones, so a receiver can verify with a few lines of node:crypto or with the `standardwebhooks` package.
import { createHmac, randomBytes } from 'node:crypto';

export const webhookSecretPrefix = 'whsec_';

/** `whsec_` + the base64 of 32 random bytes: shown once, when the endpoint is created or its secret rotated. */
export function generateWebhookSecret(): string {
  return `${webhookSecretPrefix}${randomBytes(32).toString('base64')}`;
}

/** Whether `text` has the shape of a secret this module generates (32 bytes once decoded). */
export function isWebhookSecret(text: string): boolean {
  if (!text.startsWith(webhookSecretPrefix)) return false;
  const encoded = text.slice(webhookSecretPrefix.length);
  return /^[A-Za-z0-9+/]{43}=$/.test(encoded) && Buffer.from(encoded, 'base64').length === 32;
}

export interface DeliveryToSign {
  /** The delivery's id: the same on every attempt of one event to one endpoint (Standard Webhooks' `webhook-id`). */
  id: string;
  /** When this attempt was signed, in whole seconds since the epoch. */
  timestampSeconds: number;
  /** The raw body, exactly as sent. */
  body: string;
  /**
   * The endpoint's signing secrets, newest first: one, or two while a rotated-out secret still signs alongside the
   * new one. Every header carries a signature per secret, so a receiver holding either verifies.
   */
  secrets: readonly string[];
}

/**
 * The signature headers of one attempt:
 * - `PIK-Signature`: hex HMAC-SHA256 of the raw body, keyed with the secret string as shown (spec §6); during a
 *   rotation one per secret, space-separated, newest first;
 * - `PIK-Timestamp` and `PIK-Signature-V2: t=<unix>,v1=<hex HMAC of "t.body">` (one `v1=` per secret), for replay
 *   protection: a receiver refuses a timestamp too far from its clock;
 * - `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC of "id.timestamp.body">` keyed with the
 *   base64-decoded part of the secret (Standard Webhooks; one `v1,…` per secret, space-separated).
 */
export function signDelivery(delivery: DeliveryToSign): Record<string, string> {
  if (delivery.secrets.length === 0) throw new Error('a delivery needs at least one signing secret');
  if (!Number.isSafeInteger(delivery.timestampSeconds) || delivery.timestampSeconds < 0) throw new Error('the timestamp must be whole seconds');
  const t = String(delivery.timestampSeconds);
  const plain: string[] = [];
  const versioned: string[] = [];
  const standard: string[] = [];
  for (const secret of delivery.secrets) {
    if (!isWebhookSecret(secret)) throw new Error('not a webhook signing secret');
    plain.push(hmac(secret, delivery.body).toString('hex'));
    versioned.push(`v1=${hmac(secret, `${t}.${delivery.body}`).toString('hex')}`);
    standard.push(`v1,${hmac(secretKey(secret), `${delivery.id}.${t}.${delivery.body}`).toString('base64')}`);
  }
  return {
    'pik-signature': plain.join(' '),
    'pik-timestamp': t,
    'pik-signature-v2': `t=${t},${versioned.join(',')}`,
    'webhook-id': delivery.id,
    'webhook-timestamp': t,
    'webhook-signature': standard.join(' '),
  };
}

/** The key Standard Webhooks signs with: the base64-decoded part of the secret. */
function secretKey(secret: string): Buffer {
  return Buffer.from(secret.slice(webhookSecretPrefix.length), 'base64');
}

function hmac(key: string | Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}
