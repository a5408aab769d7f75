// Per-key IP allowlists: IPv4, IPv6, CIDR edges and IPv4-mapped IPv6, against the client address PIK sees — the socket's,
// or behind a trusted proxy the forwarded one (the same address rate limits use).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IpAllowlist, parseAllowedIps } from '../src/lib/ip-allowlist.ts';
import { createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';

const allowlist = ['203.0.113.7', '198.51.100.0/24', '10.0.0.0/8', '2001:db8::/32', '2001:db8:ffff::1', '::ffff:192.0.2.0/120'];

/** [client address, allowed] */
const matrix: [string, boolean][] = [
  ['203.0.113.7', true],
  ['203.0.113.8', false],
  ['203.0.113.6', false],
  ['198.51.100.0', true], // first of the range
  ['198.51.100.255', true], // last of the range
  ['198.51.101.0', false], // one past it
  ['198.51.99.255', false], // one before it
  ['10.255.255.255', true],
  ['11.0.0.0', false],
  ['9.255.255.255', false],
  ['2001:db8::', true],
  ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', true],
  ['2001:db9::', false],
  ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', false],
  ['::ffff:203.0.113.7', true], // IPv4-mapped IPv6 of a listed IPv4 address
  ['::ffff:198.51.100.77', true],
  ['::ffff:203.0.113.8', false],
  ['192.0.2.200', true], // listed as a mapped range: it is the IPv4 range 192.0.2.0/24
  ['192.0.3.1', false],
  ['::1', false],
  ['127.0.0.1', false],
];

describe('IpAllowlist (pure)', () => {
  it('matches the matrix', () => {
    const list = new IpAllowlist(parseAllowedIps(allowlist) as string[]);
    for (const [ip, allowed] of matrix) assert.equal(list.allows(ip), allowed, ip);
    // Decisions are remembered per address; a repeat answers the same.
    for (const [ip, allowed] of matrix) assert.equal(list.allows(ip), allowed, `${ip} (again)`);
  });

  it('normalizes entries: network address, lower-case IPv6, mapped IPv4 as IPv4, duplicates dropped; 0.0.0.0/0 and ::/0 allow all of a family', () => {
    assert.deepEqual(parseAllowedIps(['10.1.2.3/8', '10.0.0.0/8', '2001:DB8:0:0::1', '::ffff:1.2.3.4', ' 192.0.2.1 ']), ['10.0.0.0/8', '2001:db8::1', '1.2.3.4', '192.0.2.1']);
    assert.equal(parseAllowedIps([]), null);
    const all = new IpAllowlist(['0.0.0.0/0']);
    assert.equal(all.allows('255.255.255.255'), true);
    assert.equal(all.allows('::1'), false);
    assert.equal(new IpAllowlist(['::/0']).allows('2001:db8::1'), true);
  });

  it('refuses what is not an address or range, naming the entry', () => {
    for (const bad of ['10.1', '010.0.0.1.5', '1.2.3.4/33', '2001:db8::/129', 'example.com', '', 'fe80::1%eth0', '1.2.3.4/-1', '0x0a.0.0.1']) {
      assert.throws(() => parseAllowedIps(['192.0.2.1', bad]), (error: { detail?: { field?: string } }) => error.detail?.field === 'allowed_ips[1]', bad);
    }
  });
});

describe('over HTTP', () => {
  let direct: TestContext;
  let proxied: TestContext;
  let platform: TestPlatform;
  let proxiedPlatform: TestPlatform;
  let key: string;
  let proxiedKey: string;

  before(async () => {
    direct = await startTestApp();
    proxied = await startTestApp({ trustProxy: 1 });
    platform = await createTestPlatform(direct);
    proxiedPlatform = await createTestPlatform(proxied);
    const made = await direct.admin('POST', `/admin/v1/platforms/${platform.id}/keys`, { environment: 'sandbox', allowed_ips: allowlist });
    const madeBehind = await proxied.admin('POST', `/admin/v1/platforms/${proxiedPlatform.id}/keys`, { environment: 'sandbox', allowed_ips: allowlist });
    key = made.body.secret;
    proxiedKey = madeBehind.body.secret;
  });
  after(async () => {
    await direct?.close();
    await proxied?.close();
  });

  it('without a trusted proxy: the socket address decides, X-Forwarded-For is ignored', async () => {
    for (const [ip, allowed] of matrix) {
      const result = await direct.call('GET', '/api/v1/account', { key, remoteAddress: ip });
      if (allowed) assert.equal(result.status, 200, `${ip}: ${result.raw}`);
      else {
        assert.equal(result.status, 403, ip);
        assert.equal(result.body.error.code, 'IP_NOT_ALLOWED');
        assert.equal(result.body.error.detail.ip, ip);
      }
    }
    const spoofed = await direct.call('GET', '/api/v1/account', { key, remoteAddress: '192.0.3.99', headers: { 'x-forwarded-for': '203.0.113.7' } });
    assert.equal(spoofed.status, 403, 'a client cannot choose its address with X-Forwarded-For');
  });

  it('behind a trusted proxy (PIK_TRUST_PROXY=1): the forwarded address decides', async () => {
    for (const [ip, allowed] of matrix) {
      const result = await proxied.call('GET', '/api/v1/account', { key: proxiedKey, remoteAddress: '172.16.0.1', headers: { 'x-forwarded-for': ip } });
      assert.equal(result.status, allowed ? 200 : 403, `${ip}: ${result.raw}`);
      if (!allowed) assert.equal(result.body.error.detail.ip, ip);
    }
    // The proxy's own address is not what is checked.
    const fromProxy = await proxied.call('GET', '/api/v1/account', { key: proxiedKey, remoteAddress: '203.0.113.7', headers: { 'x-forwarded-for': '192.0.3.99' } });
    assert.equal(fromProxy.status, 403);
  });

  it('IP_NOT_ALLOWED comes after the 401s and before the permission check', async () => {
    const restricted = await direct.admin('POST', `/admin/v1/platforms/${platform.id}/keys`, { environment: 'sandbox', allowed_ips: ['203.0.113.7'], permissions: { fx: 'read' } });
    const elsewhere = await direct.call('GET', '/api/v1/account', { key: restricted.body.secret, remoteAddress: '192.0.2.1' });
    assert.equal(elsewhere.body.error.code, 'IP_NOT_ALLOWED');
    const allowedPlace = await direct.call('GET', '/api/v1/account', { key: restricted.body.secret, remoteAddress: '203.0.113.7' });
    assert.equal(allowedPlace.body.error.code, 'KEY_PERMISSION_DENIED');
    await direct.admin('DELETE', `/admin/v1/keys/${restricted.body.id}`);
    const deleted = await direct.call('GET', '/api/v1/account', { key: restricted.body.secret, remoteAddress: '192.0.2.1' });
    assert.equal(deleted.body.error.code, 'API_KEY_REVOKED');
  });
});
