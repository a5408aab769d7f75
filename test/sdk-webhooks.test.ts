// pik.webhooks.verify, cross-checked against the `standardwebhooks` package both ways and against the server's own
// signing (src/lib/webhook-signature.ts): what one accepts the other accepts; tampering, old timestamps, a wrong
// secret and missing headers are refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { Pik, WebhookVerificationError, type WebhookEvent } from '../packages/sdk/src/index.ts';
import { generateWebhookSecret, signDelivery } from '../src/lib/webhook-signature.ts';

const pik = new Pik({ apiKey: 'pik_test_unused' });
const secret = generateWebhookSecret();
const now = Math.floor(Date.now() / 1000);
const event = {
  event_id: 'evt_01m8g5hycd5qba505sf93e83c5',
  object: 'event',
  type: 'transfer.completed',
  created_at: new Date().toISOString(),
  environment: 'sandbox',
  account_id: 'acct_01m8g5hycd5qba505sf93e83c5',
  data: { id: 'tr_01m8g5hycd5qba505sf93e83c5', source_account_id: 'acct_a', destination_account_id: 'acct_b', currency: 'AUD', amount: '1.00', reference: null },
};
const body = JSON.stringify(event);

async function refusal(promise: Promise<unknown>): Promise<WebhookVerificationError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof WebhookVerificationError, String(error));
  assert.equal(error.code, 'WEBHOOK_SIGNATURE_INVALID');
  return error;
}

describe('pik.webhooks.verify', () => {
  it('accepts what the server signs (every header it sends), and standardwebhooks agrees; the event is typed by type', async () => {
    const headers = signDelivery({ id: 'wd_01m8g5hycd5qba505sf93e83c5', timestampSeconds: now, body, secrets: [secret] });
    const verified: WebhookEvent = await pik.webhooks.verify(body, headers, secret);
    assert.deepEqual(verified, event);
    if (verified.type === 'transfer.completed') assert.equal(verified.data.amount, '1.00');
    else assert.fail('narrowed by type');
    assert.deepEqual(new Webhook(secret).verify(body, headers), event);
    // Bytes, a Headers object and Node's header records all do.
    assert.deepEqual(await pik.webhooks.verify(new TextEncoder().encode(body), new Headers(headers), secret), event);
    assert.deepEqual(await pik.webhooks.verify(Buffer.from(body), { ...headers, 'Webhook-Id': headers['webhook-id'] }, secret), event);
  });

  it('accepts what standardwebhooks signs', async () => {
    const id = 'msg_2Lk3';
    const signature = new Webhook(secret).sign(id, new Date(now * 1000), body);
    const verified = await pik.webhooks.verify(body, { 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': signature }, secret);
    assert.equal(verified.event_id, event.event_id);
  });

  it('during a rotation either secret verifies (one signature per secret)', async () => {
    const next = generateWebhookSecret();
    const headers = signDelivery({ id: 'wd_rot', timestampSeconds: now, body, secrets: [next, secret] });
    assert.equal((await pik.webhooks.verify(body, headers, secret)).event_id, event.event_id);
    assert.equal((await pik.webhooks.verify(body, headers, next)).event_id, event.event_id);
  });

  it('refuses a changed body, a wrong secret, an old or future timestamp, missing headers, a secret that is not one', async () => {
    const headers = signDelivery({ id: 'wd_x', timestampSeconds: now, body, secrets: [secret] });
    const tampered = body.replace('"1.00"', '"100.00"');
    assert.equal((await refusal(pik.webhooks.verify(tampered, headers, secret))).reason, 'signature_mismatch');
    assert.throws(() => new Webhook(secret).verify(tampered, headers));
    assert.equal((await refusal(pik.webhooks.verify(body, headers, generateWebhookSecret()))).reason, 'signature_mismatch');
    for (const t of [now - 301, now + 301]) {
      const stale = signDelivery({ id: 'wd_x', timestampSeconds: t, body, secrets: [secret] });
      assert.equal((await refusal(pik.webhooks.verify(body, stale, secret))).reason, 'timestamp_out_of_tolerance');
      assert.throws(() => new Webhook(secret).verify(body, stale));
    }
    const withoutId: Record<string, string> = { ...headers };
    delete withoutId['webhook-id'];
    assert.equal((await refusal(pik.webhooks.verify(body, withoutId, secret))).reason, 'missing_headers');
    assert.equal((await refusal(pik.webhooks.verify(body, headers, 'not-a-secret'))).reason, 'invalid_secret');
    // PIK's own v1 signature alone (no Standard Webhooks headers) is not what verify checks.
    assert.equal((await refusal(pik.webhooks.verify(body, { 'pik-signature': headers['pik-signature'] as string }, secret))).reason, 'missing_headers');
  });

  it('a wider tolerance and an injected clock', async () => {
    const old = signDelivery({ id: 'wd_old', timestampSeconds: now - 3_600, body, secrets: [secret] });
    assert.equal((await pik.webhooks.verify(body, old, secret, { toleranceSeconds: 7_200 })).event_id, event.event_id);
    assert.equal((await pik.webhooks.verify(body, old, secret, { nowSeconds: now - 3_600 })).event_id, event.event_id);
  });
});
