import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { DataKeyring, SealedDataError, dataKeyId, generateDataKeyText, parseDataKey, sealedKeyId, sealedPattern } from './sealed.ts';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const context = '["sandbox","verifications.identity","acct_1"]';
const secret = '{"id_number":"PA1234567","first_name":"Olivia"}';

describe('sealed envelopes', () => {
  it('round-trips, and the envelope holds nothing of the plaintext', () => {
    const ring = new DataKeyring(keyA);
    const sealed = ring.seal(secret, context);
    assert.match(sealed, sealedPattern);
    assert.equal(sealedKeyId(sealed), dataKeyId(keyA));
    assert.ok(!sealed.includes('PA1234567') && !sealed.includes('Olivia'));
    assert.equal(ring.open(sealed, context), secret);
    assert.notEqual(ring.seal(secret, context), sealed, 'a fresh nonce every time');
  });

  it('refuses an altered envelope', () => {
    const ring = new DataKeyring(keyA);
    const sealed = ring.seal(secret, context);
    const body = Buffer.from(sealed.split(':')[2]!, 'base64url');
    for (const at of [0, 12, body.length - 1]) {
      const altered = Buffer.from(body);
      altered[at] = (altered[at] ?? 0) ^ 1;
      assert.throws(() => ring.open(`v1:${dataKeyId(keyA)}:${altered.toString('base64url')}`, context), SealedDataError);
    }
    assert.throws(() => ring.open(`v1:${dataKeyId(keyA)}:${body.subarray(0, 20).toString('base64url')}`, context), SealedDataError);
    assert.throws(() => ring.open('{"id_number":"PA1234567"}', context), SealedDataError);
  });

  it("refuses another row's context: a ciphertext copied to another row does not open", () => {
    const ring = new DataKeyring(keyA);
    const sealed = ring.seal(secret, context);
    assert.throws(() => ring.open(sealed, '["sandbox","verifications.identity","acct_2"]'), SealedDataError);
    assert.throws(() => ring.open(sealed, '["production","verifications.identity","acct_1"]'), SealedDataError);
  });

  it('opens rows of an old key after a rotation, seals only under the current one, and refuses unknown keys', () => {
    const sealedUnderA = new DataKeyring(keyA).seal(secret, context);
    const rotated = new DataKeyring(keyB, [keyA]);
    assert.equal(rotated.open(sealedUnderA, context), secret);
    assert.equal(sealedKeyId(rotated.seal(secret, context)), dataKeyId(keyB));
    assert.deepEqual(rotated.keyIds, [dataKeyId(keyB), dataKeyId(keyA)]);
    assert.throws(() => new DataKeyring(keyB).open(sealedUnderA, context), (error: unknown) => {
      assert.ok(error instanceof SealedDataError);
      assert.match(error.message, new RegExp(dataKeyId(keyA)));
      return true;
    });
  });

  it('refuses an envelope relabelled with another key id', () => {
    const ring = new DataKeyring(keyA, [keyB]);
    const sealed = ring.seal(secret, context);
    assert.throws(() => ring.open(sealed.replace(dataKeyId(keyA), dataKeyId(keyB)), context), SealedDataError);
  });

  it('reads keys as base64, base64url or hex, and nothing else', () => {
    const key = randomBytes(32);
    assert.deepEqual(parseDataKey(key.toString('base64')), key);
    assert.deepEqual(parseDataKey(`${key.toString('base64url')}\n`), key);
    assert.deepEqual(parseDataKey(key.toString('hex')), key);
    assert.equal(parseDataKey(generateDataKeyText())?.length, 32);
    for (const bad of ['', 'short', randomBytes(16).toString('base64'), randomBytes(48).toString('base64'), 'x'.repeat(64)]) {
      assert.equal(parseDataKey(bad), undefined, bad);
    }
  });
});
