import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { findOperatorToken, isOperatorToken, loadOrCreateOperatorToken } from './operator-token.ts';

describe('operator token', () => {
  it('is generated once into the data directory with mode 0600, then reused; the CLI finds the same one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-op-'));
    try {
      const first = loadOrCreateOperatorToken(undefined, dir);
      assert.equal(first.generated, true);
      assert.equal(fs.statSync(first.path!).mode & 0o777, 0o600);
      const second = loadOrCreateOperatorToken(undefined, dir);
      assert.equal(second.generated, false);
      assert.equal(second.token, first.token);
      assert.equal(findOperatorToken(undefined, dir)?.token, first.token);
      assert.equal(loadOrCreateOperatorToken('from-the-environment-xxxxxxxx', dir).token, 'from-the-environment-xxxxxxxx');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('compares tokens exactly, whatever their lengths', () => {
    assert.equal(isOperatorToken('abc', 'abc'), true);
    assert.equal(isOperatorToken('abc', 'abd'), false);
    assert.equal(isOperatorToken('abc', 'abcd'), false);
    assert.equal(isOperatorToken('abc', ''), false);
  });
});
