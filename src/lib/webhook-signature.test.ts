// Every delivery's signatures, judged by an independent verifier (the `standardwebhooks` package, unmodified) and by
// the few lines of node:crypto a receiver would write from the spec.
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, isWebhookSecret, signDelivery } from './webhook-signature.ts';

const now = () => Math.floor(Date.now() / 1000);

/** What a receiver following spec §6 writes: PIK-Signature-V2 checked against its secret, in constant time. */
function receiverAccepts(secret: string, headers: Record<string, string>, body: string): boolean {
  const parts = headers['pik-signature-v2']?.split(',') ?? [];
  const t = parts.find((p) => p.startsWith('t='))?.slice(2);
  if (t === undefined || t !== headers['pik-timestamp']) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const plain = createHmac('sha256', secret).update(body).digest('hex');
  const v1 = parts.filter((p) => p.startsWith('v1=')).map((p) => Buffer.from(p.slice(3), 'hex'));
  return v1.some((s) => s.length === expected.length && timingSafeEqual(s, expected)) && (headers['pik-signature'] ?? '').split(' ').includes(plain);
}

describe('webhook secrets', () => {
  it('are whsec_ and the base64 of 32 random bytes, never the same twice', () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    assert.match(a, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.notEqual(a, b);
    assert.ok(isWebhookSecret(a));
    for (const bad of ['', 'whsec_', 'whsec_abc', a.replace('whsec_', 'wh_'), `${a}x`, a.slice(0, -1)]) assert.equal(isWebhookSecret(bad), false, bad);
  });
});

describe('delivery signatures', () => {
  it('verify with the standardwebhooks package and by hand, for any body', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.stringMatching(/^msg_[A-Za-z0-9]{1,30}$/), (body, id) => {
        const secret = generateWebhookSecret();
        const headers = signDelivery({ id, timestampSeconds: now(), body, secrets: [secret] });
        // jsonParse off: the body here is any text, not only JSON; verify() throws unless a signature matches.
        assert.doesNotThrow(() => new Webhook(secret).verify(body, headers, { jsonParse: false }));
        assert.ok(receiverAccepts(secret, headers, body));
        assert.equal(headers['webhook-id'], id);
      }),
      { numRuns: 50 },
    );
  });

  it('fail with another secret, another body, another id or another timestamp', () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ event_id: 'evt_1', type: 'webhook.test', data: {} });
    const headers = signDelivery({ id: 'msg_1', timestampSeconds: now(), body, secrets: [secret] });
    assert.throws(() => new Webhook(generateWebhookSecret()).verify(body, headers));
    assert.throws(() => new Webhook(secret).verify(`${body} `, headers));
    assert.throws(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_2' }));
    assert.throws(() => new Webhook(secret).verify(body, { ...headers, 'webhook-timestamp': String(now() - 1) }));
    assert.equal(receiverAccepts(generateWebhookSecret(), headers, body), false);
    assert.equal(receiverAccepts(secret, headers, `${body} `), false);
    // A timestamp too old is refused by the package: the replay protection the timestamp is for.
    const old = signDelivery({ id: 'msg_1', timestampSeconds: now() - 3600, body, secrets: [secret] });
    assert.throws(() => new Webhook(secret).verify(body, old));
  });

  it('during a rotation carry one signature per secret: a receiver holding either verifies', () => {
    const [fresh, retiring] = [generateWebhookSecret(), generateWebhookSecret()];
    const body = '{"type":"webhook.test"}';
    const headers = signDelivery({ id: 'msg_9', timestampSeconds: now(), body, secrets: [fresh, retiring] });
    for (const secret of [fresh, retiring]) {
      assert.deepEqual(new Webhook(secret).verify(body, headers), { type: 'webhook.test' });
      assert.ok(receiverAccepts(secret, headers, body));
    }
    assert.equal((headers['webhook-signature'] ?? '').split(' ').length, 2);
    assert.equal((headers['pik-signature'] ?? '').split(' ').length, 2);
    assert.equal((headers['pik-signature-v2'] ?? '').split(',').filter((p) => p.startsWith('v1=')).length, 2);
    assert.throws(() => new Webhook(generateWebhookSecret()).verify(body, headers));
  });

  it('refuse to sign without a secret, with something that is not one, or with a bad timestamp', () => {
    const body = '{}';
    assert.throws(() => signDelivery({ id: 'msg_1', timestampSeconds: now(), body, secrets: [] }));
    assert.throws(() => signDelivery({ id: 'msg_1', timestampSeconds: now(), body, secrets: ['whsec_short'] }));
    assert.throws(() => signDelivery({ id: 'msg_1', timestampSeconds: 1.5, body, secrets: [generateWebhookSecret()] }));
  });
});
