import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { exceedsJsonDepth } from './json-depth.ts';

/** The nesting depth of a parsed value, for comparison (recursive: only ever given small values here). */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (value !== null && typeof value === 'object') return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

describe('exceedsJsonDepth', () => {
  it('counts arrays and objects, not brackets inside strings or escaped quotes', () => {
    assert.equal(exceedsJsonDepth('1', 0), false);
    assert.equal(exceedsJsonDepth('{}', 0), true);
    assert.equal(exceedsJsonDepth('{"a":[1,{"b":2}]}', 3), false);
    assert.equal(exceedsJsonDepth('{"a":[1,{"b":2}]}', 2), true);
    assert.equal(exceedsJsonDepth('{"a":"[[[[[[{{{{"}', 1), false);
    assert.equal(exceedsJsonDepth('{"a":"\\"[[[[","b":"\\\\"}', 1), false);
    assert.equal(exceedsJsonDepth('{"a":"\\\\","b":[[]]}', 2), true);
  });

  it('answers 5,000 levels without recursion', () => {
    assert.equal(exceedsJsonDepth('['.repeat(5000) + ']'.repeat(5000), 32), true);
    assert.equal(exceedsJsonDepth('{"a":'.repeat(5000) + '1' + '}'.repeat(5000), 32), true);
  });

  it('agrees with the depth of the parsed value for any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 8 }), (value, max) => {
        assert.equal(exceedsJsonDepth(JSON.stringify(value), max), depthOf(value) > max);
      }),
    );
  });
});
