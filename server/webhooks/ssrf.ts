/**
 * Where a webhook may be sent. Stops server-side request forgery through a webhook URL: the server
 * would otherwise POST to whatever an endpoint names — its own admin API on loopback, a cloud
 * metadata service (169.254.169.254), databases and admin panels on the private network — and show
 * the response excerpt in the delivery log. Only http(s) URLs are accepted; at delivery time, after
 * DNS, every address the name resolves to must be public (not loopback, private, link-local, CGNAT,
 * unique-local, multicast, reserved, or any IPv4-mapped/-compatible IPv6 form), and the connection goes to the
 * address that was checked (`guardedLookup` is the socket's lookup), so a name re-pointed between
 * the check and the connect (DNS rebinding) cannot slip through. WEBHOOK_ALLOW_PRIVATE=1 turns the
 * address check off (tests, receivers on an internal network).
 */
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';

export class DestinationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DestinationRefused';
  }
}

/** Why a URL cannot be a webhook endpoint (scheme, form), or undefined. Addresses are checked at delivery. */
export function urlProblem(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'expected an absolute http(s) URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return 'only http and https URLs can receive webhooks';
  if (!u.hostname) return 'the URL needs a host';
  if (raw.length > 2000) return 'the URL is too long';
  return undefined;
}

// Two lists: a BlockList also matches IPv4 addresses against IPv6 ::ffff: rules.
const blocked4 = new BlockList();
const blocked6 = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked4.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  // IPv4-compatible (::a.b.c.d, with :: and ::1) and IPv4-mapped (::ffff:a.b.c.d) forms: a resolver
  // answers IPv4 as IPv4, so these are only ever a way to spell a blocked address differently.
  ['::', 96],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  blocked6.addSubnet(net, bits, 'ipv6');

/** True for addresses a webhook must not reach (see the module comment). */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked4.check(address, 'ipv4');
  if (family !== 6) return true;
  return blocked6.check(address.toLowerCase(), 'ipv6');
}

/**
 * The refusal for a literal IP host (sockets skip `lookup` for those), or undefined. Names are checked
 * by `guardedLookup` when the socket resolves them.
 */
export function literalAddressProblem(hostname: string, allowPrivate: boolean): string | undefined {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (!isIP(host) || allowPrivate) return undefined;
  return isNonPublicAddress(host) ? `refused: ${host} is not a public address` : undefined;
}

/**
 * A socket `lookup` that resolves the name and refuses it when any address is not public; the socket
 * connects to exactly the address checked here.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as Array<{ address: string; family: number }>;
      if (!list.length) return callback(new DestinationRefused(`${hostname} has no address`), '', 0);
      if (!allowPrivate) {
        const bad = list.find((a) => isNonPublicAddress(a.address));
        if (bad)
          return callback(
            new DestinationRefused(`refused: ${hostname} resolves to ${bad.address}, not a public address`),
            '',
            0,
          );
      }
      if (options.all) return (callback as (e: null, a: typeof list) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
