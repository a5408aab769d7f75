import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { verificationStatuses } from '../../db/schema.ts';
import { capabilities } from '../../lib/capabilities.ts';
import { decideCapabilityUse } from './capability-gate.ts';

describe('decideCapabilityUse', () => {
  it('allows exactly approved accounts with the capability active; verification is reported before the capability', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...verificationStatuses),
        fc.subarray([...capabilities]),
        fc.constantFrom(...capabilities),
        (status, active, wanted) => {
          const denial = decideCapabilityUse({ id: 'acct_x', verification_status: status, capabilities: active }, wanted);
          if (status !== 'approved') assert.equal(denial?.code, 'ACCOUNT_NOT_VERIFIED');
          else if (!active.includes(wanted)) assert.deepEqual(denial, { code: 'CAPABILITY_NOT_ACTIVATED', detail: { account_id: 'acct_x', capability: wanted } });
          else assert.equal(denial, null);
        },
      ),
    );
  });
});
