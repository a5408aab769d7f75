import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codePointLength } from './text.ts';

describe('codePointLength', () => {
  it('counts code points, as JSON Schema lengths do, not UTF-16 units', () => {
    assert.equal(codePointLength(''), 0);
    assert.equal(codePointLength('abc'), 3);
    assert.equal(codePointLength('😀'), 1);
    assert.equal('😀'.length, 2);
    assert.equal(codePointLength('😀'.repeat(200)), 200);
    assert.equal(codePointLength('é'), 1);
    assert.equal(codePointLength('\ud800x'), 2); // a lone surrogate is one
    assert.equal(codePointLength('x\udc00'), 2);
  });
});
