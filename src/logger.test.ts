import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { generateApiKey } from './lib/api-key.ts';
import { generateWebhookSecret } from './lib/webhook-signature.ts';
import { createLogger, scrubSecrets } from './logger.ts';

describe('logger', () => {
  it('scrubs keys, webhook secrets, operator tokens and given literals from any line', () => {
    const key = generateApiKey('production').secret;
    const webhookSecret = `whsec_${'abcdefgh'.repeat(3)}`; // built at run time: no secret-shaped literal in the repository
    const out = scrubSecrets(`a ${key} b ${webhookSecret} pikop_abcdefghij c literal-secret`, ['literal-secret']);
    assert.ok(!out.includes(key));
    assert.ok(!out.includes(webhookSecret.slice(6)));
    assert.ok(!out.includes('pikop_abcdefghij'));
    assert.ok(!out.includes('literal-secret'));
    assert.match(out, /pik_live_\[REDACTED\]/);
  });

  it('scrubs a real webhook secret whole: its base64 has + and / and ends in =', () => {
    for (const secret of Array.from({ length: 50 }, () => generateWebhookSecret())) {
      const out = scrubSecrets(`signing with ${secret} now`);
      assert.equal(out, 'signing with whsec_[REDACTED] now', secret);
    }
  });

  it('scrubs keys spelled with percent-escapes, however many times over, and keys whose "pik_" was mangled', () => {
    const key = generateApiKey('sandbox').secret;
    const all = [...key].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
    for (const spelled of [`%70${key.slice(1)}`, `%2570${key.slice(1)}?x=%`, all, all.toUpperCase(), `%C1%B0${key.slice(1)}`, `x${key.slice(1)}`]) {
      const out = scrubSecrets(JSON.stringify({ msg: 'request', path: `/api/v1/accounts/${spelled}` }));
      assert.ok(!out.includes(key.slice(9, 20)) && !out.includes(all.slice(30, 60)), `${spelled} → ${out}`);
    }
    assert.equal(scrubSecrets('{"path":"/dashboard/accounts/sandbox?q=a%20b"}'), '{"path":"/dashboard/accounts/sandbox?q=a%20b"}');
  });

  it('redacts authorization headers and passwords, and scrubs keys inside messages and errors', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) });
    const logger = createLogger('info', { destination });
    const key = generateApiKey('sandbox').secret;
    logger.info({ req: { headers: { authorization: `Bearer ${key}` } }, password: 'hunter2hunter2' }, `message with ${key}`);
    logger.error({ err: new Error(`failed for ${key}`) }, 'oops');
    await new Promise((resolve) => setImmediate(resolve));
    const text = lines.join('');
    assert.ok(text.length > 0);
    assert.ok(!text.includes(key));
    assert.ok(!text.includes('hunter2hunter2'));
  });
});
