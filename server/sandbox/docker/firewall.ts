/**
 * Host firewall for sandbox networks. An internal Docker network cannot leave the host, but it can
 * reach every service listening on the host's addresses (the bridge gateway is a host address). This
 * stops that: packets arriving from a sandbox bridge are dropped unless they go to the LLM gateway's
 * port. Needs root and iptables on the engine's host; where that is unavailable (remote engine,
 * unprivileged server) the driver reports it and refuses gateway networks unless allowed.
 *
 * Cost with hundreds of sessions: two rules per bridge. INPUT jumps to the chain only for packets
 * arriving on a `ws+` interface, so the API's and every other host service's packets skip the
 * per-bridge rules entirely; a sandbox's packet walks them (a few hundred comparisons, microseconds).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const CHAIN = 'WORKSAMPLE-SANDBOX';
/** Every sandbox bridge is named ws + 12 hex digits; only packets from such interfaces walk the chain. */
export const BRIDGE_PREFIX = 'ws';

export interface Firewall {
  readonly available: boolean;
  /** Only tcp to `port` may enter the host from bridge `iface`. */
  allowOnly(iface: string, port: number): Promise<void>;
  remove(iface: string): Promise<void>;
}

const iptables = (...args: string[]) => run('iptables', ['-w', ...args]);

export async function hostFirewall(): Promise<Firewall> {
  const available =
    process.getuid?.() === 0 &&
    (await iptables('-L', 'INPUT', '-n').then(
      () => true,
      () => false,
    ));
  if (available) {
    await iptables('-N', CHAIN).catch(() => {}); // exists already
    const jump = ['INPUT', '-i', `${BRIDGE_PREFIX}+`, '-j', CHAIN];
    const jumped = await iptables('-C', ...jump).then(
      () => true,
      () => false,
    );
    if (!jumped) await iptables('-I', jump[0]!, '1', ...jump.slice(1));
    // Earlier versions jumped for every packet; the guarded jump above covers every sandbox bridge.
    await iptables('-D', 'INPUT', '-j', CHAIN).catch(() => {});
  }
  return {
    available,
    async allowOnly(iface, port) {
      if (!available)
        throw new Error('the host firewall is not available (needs root and iptables on the Docker host)');
      await iptables('-A', CHAIN, '-i', iface, '-p', 'tcp', '--dport', String(port), '-j', 'ACCEPT');
      await iptables('-A', CHAIN, '-i', iface, '-j', 'DROP');
    },
    async remove(iface) {
      if (!available) return;
      // Delete every rule for the interface (each -D removes one match).
      const { stdout } = await iptables('-S', CHAIN);
      for (const line of stdout.split('\n')) {
        if (!line.startsWith(`-A ${CHAIN} -i ${iface} `)) continue;
        await iptables('-D', ...line.slice(3).split(' ')).catch(() => {});
      }
    },
  };
}
