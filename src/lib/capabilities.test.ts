import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capabilities, capabilitiesOfRoute, capabilityCatalogue, isCapability } from './capabilities.ts';

describe('capability catalogue', () => {
  it('names routes the way the OpenAPI document does, each once', () => {
    for (const capability of capabilities) {
      const { label, routes } = capabilityCatalogue[capability];
      assert.match(capability, /^[a-z][a-z_]*$/);
      assert.ok(label.length > 0);
      for (const route of routes) assert.match(route, /^(GET|POST|PUT|PATCH|DELETE) \/api\/v1\/[a-z0-9/{}_-]+$/, route);
      assert.equal(new Set(routes).size, routes.length, capability);
    }
    assert.deepEqual(capabilitiesOfRoute('POST /api/v1/payouts'), ['payouts']);
    assert.deepEqual(capabilitiesOfRoute('GET /api/v1/payouts'), []);
  });

  it('isCapability knows exactly the catalogue names, not inherited object keys', () => {
    for (const c of capabilities) assert.ok(isCapability(c));
    for (const bad of ['Payouts', 'payout', 'toString', '__proto__', '']) assert.equal(isCapability(bad), false, bad);
  });
});
