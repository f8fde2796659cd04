/**
 * Gateway networks for a server that runs in a container ("attach" mode: docker-compose with the
 * socket mounted). Attack stopped: candidate code in a sandbox of an LLM task reaching anything but
 * the LLM gateway — the API port, the database, other sandboxes, the host's services — when the
 * server cannot add host firewall rules (it is not on the host, and should not be root there).
 *
 * How, without any firewall:
 * - each sandbox network is internal (no route off it) and has one sandbox (no neighbour to reach);
 * - its bridge gets no host address (`inhibit_ipv4`), so nothing on the host is addressable from it
 *   (the host-mode design needs the firewall exactly because the bridge address is a host address);
 * - the server's own container joins the network, and the gateway listens on the server's address
 *   there; the API listens only on loopback and the server's other networks (`apiAddresses`), so the
 *   gateway port is the one open port a sandbox finds. The database sits on the compose network,
 *   which a sandbox has no route to.
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { LABEL } from './hardening.ts';

/** Network options that keep the host off a sandbox network's bridge. */
export const NO_HOST_ADDRESS = { 'com.docker.network.bridge.inhibit_ipv4': 'true' } as const;

/** True when this process looks like it runs inside a Docker container. */
export function inContainer(): boolean {
  return existsSync('/.dockerenv');
}

/**
 * The id of the container this process runs in, confirmed by the engine; undefined when it is not
 * a container of that engine. Docker bind-mounts /etc/hostname and friends from
 * /var/lib/docker/containers/<id>/, which names the container even with a custom hostname.
 */
export async function ownContainerId(docker: Docker): Promise<string | undefined> {
  const candidates: string[] = [];
  try {
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    for (const m of mounts.matchAll(/\/containers\/([0-9a-f]{64})\//g)) candidates.push(m[1]!);
  } catch {
    // not Linux, or /proc hidden: fall back to the hostname
  }
  candidates.push(hostname());
  for (const id of new Set(candidates)) {
    const info = await docker
      .getContainer(id)
      .inspect()
      .catch(() => undefined);
    if (info) return info.Id;
  }
  return undefined;
}

/** Joins `self` to a sandbox network and answers its address there (where the gateway listens). */
export async function attachSelf(docker: Docker, self: string, network: string): Promise<string> {
  await docker.getNetwork(network).connect({ Container: self });
  const info = await docker.getContainer(self).inspect();
  const address = info.NetworkSettings.Networks?.[network]?.IPAddress;
  if (!address) throw new Error(`joined ${network} but got no address on it`);
  return address;
}

/** Leaves a sandbox network (no error when not attached or already gone). */
export async function detachSelf(docker: Docker, self: string, network: string): Promise<void> {
  await docker
    .getNetwork(network)
    .disconnect({ Container: self, Force: true })
    .catch(() => {});
}

/**
 * The addresses the API may listen on in attach mode: loopback and the container's addresses on
 * networks that are not sandbox networks (a wildcard bind would answer sandboxes too).
 */
export async function apiAddresses(docker: Docker, self: string): Promise<string[]> {
  const info = await docker.getContainer(self).inspect();
  const addresses = ['127.0.0.1'];
  for (const [name, endpoint] of Object.entries(info.NetworkSettings.Networks ?? {})) {
    if (!endpoint.IPAddress) continue;
    const net = await docker
      .getNetwork(endpoint.NetworkID || name)
      .inspect()
      .catch(() => undefined);
    if (net?.Labels?.[LABEL] !== undefined) continue; // a sandbox network (ours or another deployment's)
    addresses.push(endpoint.IPAddress);
  }
  return addresses;
}
