import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 4000);
    assert.equal(config.host, '127.0.0.1');
    assert.deepEqual(config.environments, ['sandbox', 'production']);
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.rateLimitEnabled, true);
    assert.equal(config.authFailuresPerMinute, 30);
    assert.equal(config.publicUrl, 'http://127.0.0.1:4000');
  });

  it('reads PIK_ENVIRONMENTS for single-environment deployments', () => {
    assert.deepEqual(loadConfig({ PIK_ENVIRONMENTS: 'production' }).environments, ['production']);
    assert.deepEqual(loadConfig({ PIK_ENVIRONMENTS: 'production, sandbox' }).environments, ['sandbox', 'production']);
  });

  it('reads PIK_TRUST_PROXY as off, a hop count or proxy addresses', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ PIK_TRUST_PROXY: '1' }).trustProxy, 1);
    assert.equal(loadConfig({ PIK_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, '10.0.0.0/8,127.0.0.1');
    assert.throws(() => loadConfig({ PIK_TRUST_PROXY: 'everyone' }), ConfigError);
  });

  it('reads PIK_AUTH_FAILURES_PER_MINUTE as a whole number from 1', () => {
    assert.equal(loadConfig({ PIK_AUTH_FAILURES_PER_MINUTE: '5' }).authFailuresPerMinute, 5);
    for (const value of ['0', '-1', '2.5', 'lots']) assert.throws(() => loadConfig({ PIK_AUTH_FAILURES_PER_MINUTE: value }), ConfigError, value);
  });

  it('reads PIK_FX_MAX_RATE_AGE (a duration, default 24h) and PIK_FX_QUOTE_TTL_SECONDS (default 30)', () => {
    assert.deepEqual(loadConfig({}).fx, { maxRateAgeMs: 86_400_000, quoteTtlMs: 30_000 });
    assert.deepEqual(loadConfig({ PIK_FX_MAX_RATE_AGE: '15m', PIK_FX_QUOTE_TTL_SECONDS: '5' }).fx, { maxRateAgeMs: 900_000, quoteTtlMs: 5000 });
    for (const value of ['0s', '500ms', '1 day', 'soon']) assert.throws(() => loadConfig({ PIK_FX_MAX_RATE_AGE: value }), ConfigError, value);
    for (const value of ['0', '3601', '1.5']) assert.throws(() => loadConfig({ PIK_FX_QUOTE_TTL_SECONDS: value }), ConfigError, value);
  });

  it('names every bad variable in one error', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty', PIK_ENVIRONMENTS: 'staging', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', PIK_OPERATOR_TOKEN: 'short', PIK_RATE_LIMIT: 'maybe' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.message;
        for (const name of ['PORT', 'PIK_ENVIRONMENTS', 'LOG_LEVEL', 'DATABASE_URL', 'PIK_OPERATOR_TOKEN', 'PIK_RATE_LIMIT']) assert.match(text, new RegExp(name));
        assert.equal(error.problems.length, 6);
        return true;
      },
    );
  });

  it('reads PIK_DATA_KEY and PIK_DATA_KEYS_OLD, refuses malformed keys without repeating them, and requires a key with DATABASE_URL', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    const old = Buffer.alloc(32, 2).toString('hex');
    const config = loadConfig({ PIK_DATA_KEY: key, PIK_DATA_KEYS_OLD: ` ${old} ,` });
    assert.equal(config.dataKey, key);
    assert.deepEqual(config.dataKeysOld, [old]);
    assert.equal(loadConfig({}).dataKey, undefined);
    assert.throws(
      () => loadConfig({ PIK_DATA_KEY: 'hunter2-not-a-key', PIK_DATA_KEYS_OLD: `${old},also-not-a-key` }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 2);
        assert.ok(!error.message.includes('hunter2') && !error.message.includes('also-not-a-key') && !error.message.includes(old));
        return true;
      },
    );
    assert.throws(() => loadConfig({ DATABASE_URL: 'postgres://db/pik' }), /PIK_DATA_KEY is required with DATABASE_URL/);
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://db/pik', PIK_DATA_KEY: key }).dataKey, key);
  });
});
