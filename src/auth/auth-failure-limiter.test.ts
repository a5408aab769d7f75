// The failed-authentication limit: per address (IPv6 per /64), fixed one-minute windows, a bounded number of addresses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressGroup, AuthFailureLimiter, maxTrackedAddresses } from './auth-failure-limiter.ts';

describe('AuthFailureLimiter', () => {
  it('blocks an address after `limit` failures until its window ends, then counts afresh', () => {
    let now = 1_800_000_000_000 + 15_000; // 15 s into a window
    const limiter = new AuthFailureLimiter(3, () => now);
    for (let i = 0; i < 3; i++) {
      assert.equal(limiter.blockedForSeconds('203.0.113.7'), 0);
      limiter.recordFailure('203.0.113.7');
    }
    assert.equal(limiter.blockedForSeconds('203.0.113.7'), 45);
    assert.equal(limiter.blockedForSeconds('203.0.113.8'), 0, 'another address has its own budget');
    now += 44_500;
    assert.equal(limiter.blockedForSeconds('203.0.113.7'), 1);
    now += 500;
    assert.equal(limiter.blockedForSeconds('203.0.113.7'), 0, 'a new window');
    limiter.recordFailure('203.0.113.7');
    assert.equal(limiter.blockedForSeconds('203.0.113.7'), 0);
  });

  it('counts an IPv6 address by its /64, and an IPv4-mapped one as the IPv4 address', () => {
    assert.equal(addressGroup('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(addressGroup('2001:db8:1:2::1'), '2001:db8:1:2::/64');
    assert.equal(addressGroup('2001:DB8:0001:0002:ffff::'), '2001:db8:1:2::/64');
    assert.equal(addressGroup('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressGroup('::1'), '0:0:0:0::/64');
    assert.equal(addressGroup('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressGroup('::ffff:198.51.100.4'), '198.51.100.4');
    assert.equal(addressGroup('198.51.100.4'), '198.51.100.4');
    const limiter = new AuthFailureLimiter(2, () => 0);
    limiter.recordFailure('2001:db8:1:2::a');
    limiter.recordFailure('2001:db8:1:2::b');
    assert.ok(limiter.blockedForSeconds('2001:db8:1:2:ffff:ffff:ffff:ffff') > 0);
    assert.equal(limiter.blockedForSeconds('2001:db8:1:3::a'), 0);
  });

  it('tracks a bounded number of addresses', () => {
    const limiter = new AuthFailureLimiter(1, () => 0);
    for (let i = 0; i <= maxTrackedAddresses; i++) limiter.recordFailure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    assert.equal(limiter.trackedAddresses(), maxTrackedAddresses);
    assert.equal(limiter.blockedForSeconds('10.0.0.0'), 0, 'the first address counted was forgotten');
    assert.ok(limiter.blockedForSeconds('10.1.134.160') > 0);
  });
});

describe('AuthFailureLimiter with a shared store (several processes)', () => {
  /** An in-memory stand-in for the shared counters: atomic add, answers the total. */
  function sharedStore(fail = false) {
    const totals = new Map<string, number>();
    return {
      totals,
      add: async (key: string, amount: number) => {
        if (fail) throw new Error('store down');
        const total = (totals.get(key) ?? 0) + amount;
        totals.set(key, total);
        return total;
      },
    };
  }

  it("one process learns another's failures from its own first failure's batch, and blocks the address", async () => {
    const now = 1_800_000_000_000 + 15_000;
    const store = sharedStore();
    const a = new AuthFailureLimiter(5, () => now, store);
    const b = new AuthFailureLimiter(5, () => now, store);
    for (let i = 0; i < 5; i++) a.recordFailure('198.51.100.4');
    assert.ok(a.blockedForSeconds('198.51.100.4') > 0);
    await a.flush();
    assert.equal(b.blockedForSeconds('198.51.100.4'), 0, 'b has not heard yet: this is the bounded overshoot');
    b.recordFailure('198.51.100.4');
    await b.flush();
    assert.ok(b.blockedForSeconds('198.51.100.4') > 0, 'b now knows the total (6)');
    assert.equal(store.totals.get(`198.51.100.4:${now - (now % 60_000)}`), 6);
  });

  it('a store that fails leaves each process its own count (fails open), and says so', async () => {
    const now = 1_800_000_000_000;
    const errors: unknown[] = [];
    const limiter = new AuthFailureLimiter(2, () => now, sharedStore(true), (error) => errors.push(error));
    limiter.recordFailure('192.0.2.9');
    await limiter.flush();
    assert.equal(limiter.blockedForSeconds('192.0.2.9'), 0);
    limiter.recordFailure('192.0.2.9');
    await limiter.flush();
    assert.ok(limiter.blockedForSeconds('192.0.2.9') > 0, 'its own two failures still block');
    assert.equal(errors.length, 2);
  });
});
