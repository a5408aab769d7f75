// Per-key IP allowlists: parsing what a platform writes (addresses and CIDR ranges, IPv4 and IPv6) and matching a
// client address against it. Parsing is ipaddr.js's; the strict forms only (no "10.1" or hex octets).
import ipaddr from 'ipaddr.js';
import { ApiError, invalidField } from './errors.ts';

export const maxAllowedIps = 50;

type Address = ipaddr.IPv4 | ipaddr.IPv6;

interface Range {
  address: Address;
  bits: number;
}

/**
 * An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is the IPv4 address: a dual-stack socket reports IPv4 clients that
 * way, so an entry and a client address are both brought to IPv4 before they are compared.
 */
function unmapped(address: Address): Address {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

function parseStrictAddress(text: string): Address | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!text.includes('%') && ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return undefined;
}

function parseEntry(text: string): Range | undefined {
  const slash = text.indexOf('/');
  if (slash === -1) {
    const address = parseStrictAddress(text);
    if (!address) return undefined;
    const plain = unmapped(address);
    return { address: plain, bits: plain.kind() === 'ipv4' ? 32 : 128 };
  }
  const address = parseStrictAddress(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(bitsText)) return undefined;
  let bits = Number(bitsText);
  if (bits > (address.kind() === 'ipv4' ? 32 : 128)) return undefined;
  let base = address;
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    // ::ffff:10.0.0.0/104 is 10.0.0.0/8; a mapped range wider than the mapped block stays IPv6.
    if (bits >= 96) {
      base = (address as ipaddr.IPv6).toIPv4Address();
      bits -= 96;
    }
  }
  return { address: networkOf(base, bits), bits };
}

/** The range's first address, so "10.1.2.3/8" is stored and shown as "10.0.0.0/8". */
function networkOf(address: Address, bits: number): Address {
  const bytes = address.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] = (bytes[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  return ipaddr.fromByteArray(bytes);
}

function formatRange(range: Range): string {
  const text = range.address.kind() === 'ipv6' ? (range.address as ipaddr.IPv6).toRFC5952String() : range.address.toString();
  return range.bits === (range.address.kind() === 'ipv4' ? 32 : 128) ? text : `${text}/${range.bits}`;
}

/**
 * The allowlist given when a key is made or changed: null (or absent) for "any address", else up to 50 addresses or
 * CIDR ranges, returned in a normalized form without duplicates. An empty list is "any address" too. A bad entry is
 * 400 INVALID_REQUEST naming it (`allowed_ips[3]`, with detail.value).
 */
export function parseAllowedIps(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw invalidField('allowed_ips', 'allowed_ips must be a list of IP addresses or CIDR ranges, or null.');
  if (value.length > maxAllowedIps) throw invalidField('allowed_ips', `allowed_ips holds at most ${maxAllowedIps} entries.`);
  const normalized: string[] = [];
  value.forEach((entry: unknown, index) => {
    const text = typeof entry === 'string' ? entry.trim() : undefined;
    const range = text !== undefined && text.length <= 64 ? parseEntry(text) : undefined;
    if (!range) {
      throw new ApiError('INVALID_REQUEST', `allowed_ips[${index}] is not an IPv4 or IPv6 address or CIDR range (such as 203.0.113.7, 198.51.100.0/24 or 2001:db8::/32).`, {
        field: `allowed_ips[${index}]`,
        value: typeof entry === 'string' ? entry.slice(0, 64) : entry === null ? null : typeof entry,
      });
    }
    const text2 = formatRange(range);
    if (!normalized.includes(text2)) normalized.push(text2);
  });
  return normalized.length === 0 ? null : normalized;
}

/** Entries as stored (already normalized), parsed once when a key is loaded into the cache. */
export class IpAllowlist {
  private readonly ranges: Range[];
  /**
   * Decisions by address text: a client sends many requests from one address, so each address is parsed and matched
   * once, and every later request costs one Map lookup. Bounded, as addresses come from outside.
   */
  private readonly decisions = new Map<string, boolean>();

  constructor(readonly entries: readonly string[]) {
    this.ranges = entries.map((e) => parseEntry(e)).filter((r): r is Range => r !== undefined);
  }

  allows(ip: string): boolean {
    const known = this.decisions.get(ip);
    if (known !== undefined) return known;
    const decision = this.match(ip);
    if (this.decisions.size >= 1024) this.decisions.clear();
    this.decisions.set(ip, decision);
    return decision;
  }

  private match(ip: string): boolean {
    let address: Address;
    try {
      address = unmapped(ipaddr.parse(ip.includes('%') ? ip.slice(0, ip.indexOf('%')) : ip));
    } catch {
      return false;
    }
    for (const range of this.ranges) {
      if (range.address.kind() === address.kind() && address.match(range.address, range.bits)) return true;
    }
    return false;
  }
}
