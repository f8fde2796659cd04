/** IPv4 CIDR ranges: parsing for configuration (SANDBOX_SUBNET_POOL) and the sandbox subnet allocator. */

export interface Ipv4Range {
  /** First address, as an unsigned 32-bit number. */
  base: number;
  /** Prefix length, 0-32. */
  prefix: number;
}

/** Private ranges (RFC 1918): a pool elsewhere would shadow real addresses in the host's routes. */
const PRIVATE: Ipv4Range[] = [
  { base: 0x0a000000, prefix: 8 },
  { base: 0xac100000, prefix: 12 },
  { base: 0xc0a80000, prefix: 16 },
];

export const ipv4ToString = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

export const formatCidr = (r: Ipv4Range) => `${ipv4ToString(r.base)}/${r.prefix}`;

/** Number of addresses in a range. */
export const rangeSize = (r: Ipv4Range) => 2 ** (32 - r.prefix);

/** True when two ranges share any address. */
export function overlaps(a: Ipv4Range, b: Ipv4Range): boolean {
  return a.base < b.base + rangeSize(b) && b.base < a.base + rangeSize(a);
}

/** Parses "a.b.c.d/n"; undefined unless well formed with no host bits set. */
export function parseCidr(text: string): Ipv4Range | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (base % 2 ** (32 - prefix) !== 0) return undefined;
  return { base, prefix };
}

/**
 * Why a text is not a usable sandbox subnet pool (undefined when it is): an IPv4 CIDR with no host
 * bits, inside a private range, large enough for at least one subnet of `subnetPrefix`.
 */
export function subnetPoolProblem(text: string, subnetPrefix = 28): string | undefined {
  const r = parseCidr(text);
  if (!r) return 'expected an IPv4 range such as 10.213.0.0/16 (no host bits set)';
  if (r.prefix > subnetPrefix) return `expected a range of /${subnetPrefix} or larger`;
  if (!PRIVATE.some((p) => p.prefix <= r.prefix && overlaps(p, r)))
    return 'expected a private range (inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)';
  return undefined;
}
