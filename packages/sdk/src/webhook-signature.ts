// Verifying a webhook delivery (docs/webhooks.md): the Standard Webhooks signature — `webhook-signature:
// v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">`, keyed with the base64-decoded part of the
// `whsec_…` secret — checked in constant time, with the timestamp within 5 minutes of this clock. Web Crypto only, so it
// runs wherever fetch does (Node ≥ 20, Deno, Bun, workers); hence it is async.
import { PikError } from './errors.js';
import type { webhooks } from './generated/openapi.js';

/** A delivery's body: one member per event type, narrowed by `type`. */
export type WebhookEvent = { [T in keyof webhooks]: webhooks[T]['post']['requestBody']['content']['application/json'] }[keyof webhooks];
export type WebhookEventType = WebhookEvent['type'];

/** Headers as fetch (Headers), Node's http (IncomingHttpHeaders) or a plain object gives them. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export type WebhookVerificationReason = 'missing_headers' | 'timestamp_out_of_tolerance' | 'signature_mismatch' | 'invalid_secret' | 'invalid_body';

/** The delivery did not come from PIK with this secret (or came too late): answer 400 and do not act on it. */
export class WebhookVerificationError extends PikError {
  readonly reason: WebhookVerificationReason;
  constructor(reason: WebhookVerificationReason, message: string) {
    super({ code: 'WEBHOOK_SIGNATURE_INVALID', message });
    this.reason = reason;
  }
}

export interface VerifyOptions {
  /** How far the timestamp may be from this clock, in seconds. Default 300 (5 minutes). */
  toleranceSeconds?: number;
  /** This clock, in seconds (for tests). */
  nowSeconds?: number;
}

const prefix = 'whsec_';

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const value = record[name] ?? Object.entries(record).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value.join(' ') : value;
}

function decodeBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function equalInConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}

/**
 * Checks a delivery and returns its event, typed by `type`; throws WebhookVerificationError otherwise. Pass the raw
 * body exactly as received (a string or bytes, not re-serialized JSON).
 */
export async function verifyWebhook(rawBody: string | Uint8Array, headers: WebhookHeaders, secret: string, options: VerifyOptions = {}): Promise<WebhookEvent> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('missing_headers', 'The webhook-id, webhook-timestamp and webhook-signature headers are required.');
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (!/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > tolerance) {
    throw new WebhookVerificationError('timestamp_out_of_tolerance', `webhook-timestamp is more than ${tolerance} s from this clock: refused as a possible replay.`);
  }
  const keyBytes = typeof secret === 'string' && secret.startsWith(prefix) ? decodeBase64(secret.slice(prefix.length)) : undefined;
  if (!keyBytes || keyBytes.length === 0) throw new WebhookVerificationError('invalid_secret', 'The secret must be the endpoint\'s whsec_… signing secret.');
  const body = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
  const key = await globalThis.crypto.subtle.importKey('raw', keyBytes as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const expected = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${body}`)));
  // During a secret rotation a delivery carries one signature per secret: any one of them made with this secret will do.
  const matches = signatures.split(' ').some((candidate) => {
    const [version, value] = candidate.split(',', 2);
    const given = version === 'v1' && value !== undefined ? decodeBase64(value) : undefined;
    return given !== undefined && equalInConstantTime(given, expected);
  });
  if (!matches) throw new WebhookVerificationError('signature_mismatch', 'No signature in webhook-signature matches this body with this secret.');
  try {
    return JSON.parse(body) as WebhookEvent;
  } catch {
    throw new WebhookVerificationError('invalid_body', 'The body is signed but is not JSON.');
  }
}
