// The webhook URL rules as a table: every address range no delivery may reach, in every spelling that reaches it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressProblem, webhookUrlProblem, type WebhookUrlRules } from './webhook-urls.ts';

const production: WebhookUrlRules = { environment: 'production', allowSandboxLoopback: true };
const sandbox: WebhookUrlRules = { environment: 'sandbox', allowSandboxLoopback: false };
const sandboxLoopback: WebhookUrlRules = { environment: 'sandbox', allowSandboxLoopback: true };

describe('addresses a webhook may not reach', () => {
  const table: [string, string | undefined][] = [
    ['127.0.0.1', 'a loopback address'],
    ['127.255.255.254', 'a loopback address'],
    ['10.1.2.3', 'a private address'],
    ['172.16.0.1', 'a private address'],
    ['172.31.255.255', 'a private address'],
    ['192.168.1.1', 'a private address'],
    ['169.254.169.254', 'a link-local address (cloud metadata services live here)'],
    ['100.64.0.1', 'a carrier-grade NAT address'],
    ['0.0.0.0', 'an unspecified address ("this network")'],
    ['224.0.0.1', 'a multicast address'],
    ['255.255.255.255', 'a reserved address (or broadcast)'],
    ['::1', 'a loopback address'],
    ['::', 'an unspecified address'],
    ['fe80::1', 'a link-local address'],
    ['fd00:ec2::254', 'a unique local (private) address'],
    ['fc12:3456::1', 'a unique local (private) address'],
    ['ff02::1', 'a multicast address'],
    ['::ffff:127.0.0.1', 'a loopback address, inside an IPv6 address'],
    ['::ffff:7f00:1', 'a loopback address, inside an IPv6 address'],
    ['::ffff:169.254.169.254', 'a link-local address (cloud metadata services live here), inside an IPv6 address'],
    ['::127.0.0.1', 'a loopback address, inside an IPv6 address'],
    ['64:ff9b::10.0.0.1', 'a private address, inside an IPv6 address'],
    ['2002:c0a8:0101::1', 'a private address, inside an IPv6 address'],
    // Public addresses, in both families and in the IPv6 forms that carry a public IPv4 address.
    ['8.8.8.8', undefined],
    ['172.32.0.1', undefined],
    ['100.128.0.1', undefined],
    ['2606:4700:4700::1111', undefined],
    ['::ffff:8.8.8.8', undefined],
    ['64:ff9b::808:808', undefined],
  ];
  for (const [address, reason] of table) {
    it(`${address} → ${reason ?? 'allowed'}`, () => assert.deepEqual(addressProblem(address), reason === undefined ? undefined : { reason }));
  }
  it('a host name is not an address (it is judged on what it resolves to, at delivery)', () => {
    assert.deepEqual(addressProblem('example.com'), { reason: 'not an IP address' });
  });
});

describe('webhook URLs at registration', () => {
  const table: [string, WebhookUrlRules, string | undefined][] = [
    ['https://hooks.example.com/pik', production, undefined],
    ['https://hooks.example.com:8443/pik?x=1', production, undefined],
    ['http://hooks.example.com/pik', production, 'webhooks are sent over https only'],
    ['http://hooks.example.com/pik', sandbox, 'webhooks are sent over https only'],
    ['ftp://hooks.example.com/pik', production, 'only https URLs can receive webhooks'],
    ['https://127.0.0.1/pik', production, 'a loopback address'],
    ['https://[::1]/pik', production, 'a loopback address'],
    ['https://localhost/pik', production, 'a loopback address'],
    ['https://api.localhost/pik', production, 'a loopback address'],
    ['http://localhost:3000/webhooks', production, 'a loopback address'],
    ['http://localhost:3000/webhooks', sandbox, 'a loopback address'],
    ['http://localhost:3000/webhooks', sandboxLoopback, undefined],
    ['http://127.0.0.1:3000/webhooks', sandboxLoopback, undefined],
    ['https://10.0.0.5/pik', sandboxLoopback, 'a private address'],
    ['https://169.254.169.254/latest/meta-data', production, 'a link-local address (cloud metadata services live here)'],
    ['https://[::ffff:127.0.0.1]/pik', production, 'a loopback address, inside an IPv6 address'],
    ['https://[fd00::1]/pik', production, 'a unique local (private) address'],
    ['https://2130706433/pik', production, 'a loopback address'], // the URL parser turns a decimal host into 127.0.0.1
    ['https://0x7f.1/pik', production, 'a loopback address'],
    ['https://user:pass@hooks.example.com/pik', production, 'credentials in the URL are not allowed; authenticate the request with its signature'],
    ['https://hooks.example.com/pik#frag', production, 'a fragment (#…) is never sent; remove it'],
    ['https://intranet/pik', production, 'the host must be a fully qualified domain name'],
    ['not a url', production, 'not a URL'],
    [`https://hooks.example.com/${'a'.repeat(2048)}`, production, 'longer than 2,048 characters'],
  ];
  for (const [url, rules, reason] of table) {
    it(`${url.slice(0, 60)} (${rules.environment}${rules.allowSandboxLoopback ? ', loopback allowed in sandbox' : ''}) → ${reason ?? 'allowed'}`, () =>
      assert.deepEqual(webhookUrlProblem(url, rules), reason === undefined ? undefined : { reason }));
  }
});
