// Which webhook URLs PIK may call (issue 10, part 4): no request of ours may reach the server's own network. A URL is
// checked when an endpoint is registered (literal addresses) and each resolved address again at every delivery,
// connecting to the very address that was checked, so a name that later resolves elsewhere (DNS rebinding) gains
// nothing.
import { BlockList, isIP } from 'node:net';

export type WebhookUrlProblem = { reason: string };

/** Ranges no webhook may reach, each with the reason given to the platform. */
const refused: readonly { family: 'ipv4' | 'ipv6'; network: string; prefix: number; reason: string }[] = [
  { family: 'ipv4', network: '0.0.0.0', prefix: 8, reason: 'an unspecified address ("this network")' },
  { family: 'ipv4', network: '10.0.0.0', prefix: 8, reason: 'a private address' },
  { family: 'ipv4', network: '100.64.0.0', prefix: 10, reason: 'a carrier-grade NAT address' },
  { family: 'ipv4', network: '127.0.0.0', prefix: 8, reason: 'a loopback address' },
  { family: 'ipv4', network: '169.254.0.0', prefix: 16, reason: 'a link-local address (cloud metadata services live here)' },
  { family: 'ipv4', network: '172.16.0.0', prefix: 12, reason: 'a private address' },
  { family: 'ipv4', network: '192.0.0.0', prefix: 24, reason: 'an IETF protocol assignment' },
  { family: 'ipv4', network: '192.0.2.0', prefix: 24, reason: 'a documentation address' },
  { family: 'ipv4', network: '192.88.99.0', prefix: 24, reason: 'a 6to4 relay address' },
  { family: 'ipv4', network: '192.168.0.0', prefix: 16, reason: 'a private address' },
  { family: 'ipv4', network: '198.18.0.0', prefix: 15, reason: 'a benchmarking address' },
  { family: 'ipv4', network: '198.51.100.0', prefix: 24, reason: 'a documentation address' },
  { family: 'ipv4', network: '203.0.113.0', prefix: 24, reason: 'a documentation address' },
  { family: 'ipv4', network: '224.0.0.0', prefix: 4, reason: 'a multicast address' },
  { family: 'ipv4', network: '240.0.0.0', prefix: 4, reason: 'a reserved address (or broadcast)' },
  { family: 'ipv6', network: '::', prefix: 128, reason: 'an unspecified address' },
  { family: 'ipv6', network: '::1', prefix: 128, reason: 'a loopback address' },
  { family: 'ipv6', network: '100::', prefix: 64, reason: 'a discard-only address' },
  { family: 'ipv6', network: '2001:db8::', prefix: 32, reason: 'a documentation address' },
  { family: 'ipv6', network: 'fc00::', prefix: 7, reason: 'a unique local (private) address' },
  { family: 'ipv6', network: 'fe80::', prefix: 10, reason: 'a link-local address' },
  { family: 'ipv6', network: 'fec0::', prefix: 10, reason: 'a site-local (private) address' },
  { family: 'ipv6', network: 'ff00::', prefix: 8, reason: 'a multicast address' },
];

const blocks = refused.map((range) => {
  const list = new BlockList();
  list.addSubnet(range.network, range.prefix, range.family);
  return { list, family: range.family, reason: range.reason };
});

/**
 * Why an IP address may not be called, or undefined when it is a public address. IPv6 forms that carry an IPv4
 * address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are
 * judged by the IPv4 address inside: `::ffff:127.0.0.1` is loopback.
 */
export function addressProblem(address: string): WebhookUrlProblem | undefined {
  const family = isIP(address);
  if (family === 0) return { reason: 'not an IP address' };
  if (family === 6) {
    const inner = embeddedIpv4(address);
    if (inner !== undefined) {
      const problem = addressProblem(inner);
      return problem && { reason: `${problem.reason}, inside an IPv6 address` };
    }
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const block of blocks) if (block.family === type && block.list.check(address, type)) return { reason: block.reason };
  return undefined;
}

export interface WebhookUrlRules {
  /** Production endpoints must use https; sandbox ones too unless loopback is allowed for local development. */
  environment: 'sandbox' | 'production';
  /** PIK_WEBHOOK_ALLOW_LOOPBACK=sandbox: sandbox endpoints may be http://localhost or a loopback address. */
  allowSandboxLoopback: boolean;
}

/**
 * Whether a URL may be registered as a webhook endpoint. A host given as an IP address is judged here; a host name is
 * judged on each address it resolves to, at every delivery (`addressProblem`), except `localhost`, which is loopback
 * by definition (RFC 6761).
 */
export function webhookUrlProblem(text: string, rules: WebhookUrlRules): WebhookUrlProblem | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { reason: 'not a URL' };
  }
  if (text.length > 2048) return { reason: 'longer than 2,048 characters' };
  if (url.username !== '' || url.password !== '') return { reason: 'credentials in the URL are not allowed; authenticate the request with its signature' };
  if (url.hash !== '') return { reason: 'a fragment (#…) is never sent; remove it' };
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const isLoopbackName = host === 'localhost' || host.endsWith('.localhost');
  const loopbackAllowed = rules.environment === 'sandbox' && rules.allowSandboxLoopback;
  if (isLoopbackName || (isIP(host) !== 0 && addressProblem(host)?.reason === 'a loopback address')) {
    if (!loopbackAllowed) return { reason: 'a loopback address' };
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { reason: 'only http and https URLs can receive webhooks' };
    return undefined;
  }
  if (url.protocol !== 'https:') return { reason: url.protocol === 'http:' ? 'webhooks are sent over https only' : 'only https URLs can receive webhooks' };
  if (isIP(host) !== 0) return addressProblem(host);
  if (!host.includes('.')) return { reason: 'the host must be a fully qualified domain name' };
  return undefined;
}

/** The IPv4 address an IPv6 address carries, in the forms that route to it; undefined for a plain IPv6 address. */
function embeddedIpv4(address: string): string | undefined {
  const groups = expandIpv6(address);
  if (groups === undefined) return undefined;
  const v4 = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  const zeros = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible, deprecated but still parsed by some stacks)
  if (zeros(0, 5) && (groups[5] === 0xffff || groups[5] === 0) && !(groups[5] === 0 && zeros(6, 7) && (groups[7] ?? 0) <= 1)) {
    return v4(groups[6] ?? 0, groups[7] ?? 0);
  }
  // 64:ff9b::a.b.c.d (NAT64, RFC 6052)
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6)) return v4(groups[6] ?? 0, groups[7] ?? 0);
  // 2002:AABB:CCDD::/48 (6to4): the IPv4 address is in the second and third groups
  if (groups[0] === 0x2002) return v4(groups[1] ?? 0, groups[2] ?? 0);
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address (dotted IPv4 tail allowed), or undefined. */
function expandIpv6(address: string): number[] | undefined {
  let text = address.split('%')[0] ?? address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const octets = (dotted[1] as string).split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${(((octets[0] ?? 0) << 8) | (octets[1] ?? 0)).toString(16)}:${(((octets[2] ?? 0) << 8) | (octets[3] ?? 0)).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const before = parse(head);
  const after = tail === undefined ? [] : parse(tail);
  const groups = tail === undefined ? before : [...before, ...Array<number>(8 - before.length - after.length).fill(0), ...after];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}
