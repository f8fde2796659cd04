/**
 * The production sandbox driver: one hardened container per session, through dockerode only.
 * DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH are honoured (dockerode reads them), so a
 * remote engine works. Files go in with putArchive onto a sized tmpfs volume, and come out with
 * getArchive, skipping anything that is not a regular file.
 */
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import type { Logger } from '../../logger/index.ts';
import { pathProblem } from '../../workspace/index.ts';
import type {
  ExecRequest,
  RunningExec,
  RunningShell,
  ShellRequest,
  SandboxDriver,
  SandboxFile,
  SandboxSession,
  SandboxStatus,
  SessionSpec,
  PrepareOptions,
} from '../types.ts';
import { buildImages } from '../images/index.ts';
import { packFiles, unpackFiles } from './archive.ts';
import { dockerExec } from './exec.ts';
import { dockerShell } from './shell.ts';
import {
  CANDIDATE_UID,
  containerOptions,
  HARNESS_UID,
  LABEL,
  volumeOptions,
  WORKSPACE,
} from './hardening.ts';
import { BRIDGE_PREFIX, type Firewall } from './firewall.ts';
import { SubnetAllocator, type Subnet } from './subnets.ts';
import { asShortage } from './shortage.ts';
import { ResourceShortage } from '../types.ts';
import { apiAddresses, attachSelf, detachSelf, NO_HOST_ADDRESS } from './attach.ts';

export interface DockerSession extends SandboxSession {
  readonly container: Docker.Container;
  readonly volume: string;
  readonly networkName?: string;
  readonly bridge?: string;
  /** The network's subnet, from SANDBOX_SUBNET_POOL (gateway networks only). */
  readonly subnet?: string;
  oomKills: number;
  /** The engine stopped the container under a job (found by stopProcesses): never restarted over. */
  lost?: boolean;
}

export interface DockerDriverOptions {
  docker?: Docker;
  /**
   * Names this deployment on the engine (default "default"). Orphan sweeps only touch sandboxes
   * with the same instance, so two deployments, or test runs, sharing an engine leave each other alone.
   */
  instance?: string;
  /** Port of the LLM gateway that sessions on a 'gateway' network may reach. */
  gatewayPort?: number;
  /** Host firewall confining gateway networks to gatewayPort (see firewall.ts). */
  firewall?: Firewall;
  /** Allow gateway networks without the firewall (they can then reach any host port). */
  allowUnfirewalledGateway?: boolean;
  /**
   * Attach mode (the server runs in a container): this container joins each gateway network and the
   * gateway listens on its address there; no host firewall is needed (see attach.ts).
   */
  attachTo?: string;
  /** Private IPv4 range the /28 subnets of gateway networks are taken from (default 10.213.0.0/16). */
  subnetPool?: string;
  /** Image (name:tag) for an environment; throws or returns undefined when unknown. */
  imageFor(env: string): Promise<string>;
  logger: Logger;
}

const shortId = () => randomBytes(6).toString('hex');

export const DEFAULT_SUBNET_POOL = '10.213.0.0/16';

/** What engineProblem says when the engine is there but answers too slowly (busy). */
const ENGINE_SLOW = 'the Docker engine does not answer in time';

/** Docker's answer when a subnet is taken by another network on the engine. */
const isOverlap = (err: unknown) => /overlap|conflicts with network/i.test(String((err as Error)?.message));

/**
 * The reaper, run as the candidate uid: SIGKILL to every process it may signal (kill -1 spares the
 * caller), until /proc shows no live candidate process but itself. Shell builtins only, so it forks
 * nothing that it would then have to exclude. Exits 1 printing the survivors if it gives up.
 */
export const REAPER = `me=$$; n=0
while :; do
  kill -9 -1 2>/dev/null
  left=
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    [ "$p" = "$me" ] && continue
    u=; st=
    while read -r k v _; do
      case $k in State:) st=$v ;; Uid:) u=$v; break ;; esac
    done 2>/dev/null < "$d/status" || continue
    [ "$u" = ${CANDIDATE_UID} ] && [ "$st" != Z ] && left="$left $p"
  done
  [ -z "$left" ] && exit 0
  n=$((n+1))
  [ $n -ge 200 ] && { echo "$left"; exit 1; }
done`;

export class DockerDriver implements SandboxDriver {
  readonly name = 'docker' as const;
  readonly docker: Docker;
  readonly instance: string;
  /** Subnets of gateway networks: which this process holds, which other networks on the engine hold. */
  readonly subnets: SubnetAllocator;
  private foreignListed?: Promise<void>;

  constructor(private readonly opts: DockerDriverOptions) {
    this.docker = opts.docker ?? new Docker();
    this.instance = opts.instance ?? 'default';
    this.subnets = new SubnetAllocator(opts.subnetPool ?? DEFAULT_SUBNET_POOL);
  }

  /** The server's own container in attach mode (joined to every gateway network), else undefined. */
  get attachedTo(): string | undefined {
    return this.opts.attachTo;
  }

  /** True when the engine answers within the timeout. */
  static async engineAnswers(docker = new Docker(), timeoutMs = 2000): Promise<boolean> {
    return (await DockerDriver.engineProblem(docker, timeoutMs)) === undefined;
  }

  /** Why the engine does not answer, in words an operator can act on; undefined when it does. */
  static async engineProblem(docker = new Docker(), timeoutMs = 2000): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        docker.ping(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs))),
      ]);
      return undefined;
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { address?: string };
      if (e.code === 'EACCES' || e.code === 'EPERM') {
        const socket = e.address ?? '/var/run/docker.sock';
        return (
          `permission denied on ${socket}: the server's user is not in the socket's group; ` +
          'add it (docker-compose: DOCKER_GID=$(stat -c %g /var/run/docker.sock))'
        );
      }
      return (err as Error)?.message === 'timeout' ? ENGINE_SLOW : 'the Docker engine does not answer';
    } finally {
      clearTimeout(timer);
    }
  }

  private statusCache?: { at: number; value: Promise<SandboxStatus> };
  /** The last status that said ready: kept while the engine is merely slow to answer a ping. */
  private lastReady?: SandboxStatus;
  private building = false;

  /** Builds missing images in the background; status says so meanwhile, and is fresh afterwards. */
  buildMissingImages(build: () => Promise<unknown>): Promise<void> {
    this.building = true;
    this.statusCache = undefined;
    return build()
      .then(() => undefined)
      .finally(() => {
        this.building = false;
        this.statusCache = undefined;
      });
  }

  /** Engine and images; cached for a few seconds since every Run asks. */
  status(): Promise<SandboxStatus> {
    const now = Date.now();
    if (!this.statusCache || now - this.statusCache.at > 5000)
      this.statusCache = {
        at: now,
        value: this.checkStatus().then((s) => {
          if (s.ready) this.lastReady = s;
          // A busy engine answers a ping late but still creates sessions (slowly): jobs wait for it
          // in the queue rather than being refused as if it were down.
          else if (s.detail === ENGINE_SLOW && this.lastReady) return this.lastReady;
          return s;
        }),
      };
    return this.statusCache.value;
  }

  private async checkStatus(): Promise<SandboxStatus> {
    // A loaded engine may take seconds to answer; "down" must not be concluded from "busy".
    const problem = await DockerDriver.engineProblem(this.docker, 10_000);
    if (problem) return { driver: 'docker', ready: false, detail: problem };
    const missing: string[] = [];
    for (const env of ['node', 'python']) {
      const image = await this.opts.imageFor(env).catch(() => undefined);
      if (!image || !(await this.imageExists(image))) missing.push(env);
    }
    return missing.length
      ? {
          driver: 'docker',
          ready: false,
          detail: this.building
            ? `building sandbox images for ${missing.join(', ')} (the first start takes a minute or two)`
            : `sandbox images missing for ${missing.join(', ')}; run: npm run sandboxes:build`,
        }
      : { driver: 'docker', ready: true, gatewayNetworks: this.gatewayNetworkStatus() };
  }

  /** Whether LLM tasks can get a gateway network here; the detail is for staff, never candidates. */
  private gatewayNetworkStatus(): { ready: boolean; detail?: string } {
    if (!this.opts.gatewayPort) return { ready: false, detail: 'no LLM gateway port is configured' };
    if (this.opts.attachTo || this.opts.firewall?.available) return { ready: true };
    if (this.opts.allowUnfirewalledGateway)
      return {
        ready: true,
        detail:
          'sandboxes of LLM tasks can reach every port of the host (SANDBOX_ALLOW_UNFIREWALLED_GATEWAY=true)',
      };
    return {
      ready: false,
      detail:
        'tasks that use the LLM cannot run: the host firewall is unavailable (the server needs root and iptables ' +
        'on the Docker host); run the server in a container with the Docker socket (SANDBOX_GATEWAY_MODE=attach), ' +
        'or as root on the Docker host',
    };
  }

  private async imageExists(image: string) {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch {
      return false;
    }
  }

  async createSession(spec: SessionSpec): Promise<DockerSession> {
    const image = await this.opts.imageFor(spec.env);
    const name = `ws-${spec.purpose}-${shortId()}`;
    const volume = `${name}-ws`;
    let networkName: string | undefined;
    let gatewayAddress: string | undefined;
    let bridge: string | undefined;
    let subnet: Subnet | undefined;
    const created: Array<() => Promise<unknown>> = [];
    try {
      await this.docker.createVolume(volumeOptions(volume, spec, this.instance));
      created.push(() => this.docker.getVolume(volume).remove({ force: true }));
      if (spec.network === 'gateway') {
        // One internal network per session: no route off the host, and no other attempt on it
        // (moby#29108: enable_icc=false is not enforced on internal networks).
        const { gatewayPort, firewall, attachTo } = this.opts;
        const usable = this.gatewayNetworkStatus();
        if (!usable.ready) {
          // The reason names the firewall and iptables: for the operator's log, not for the candidate.
          this.opts.logger.error({ reason: usable.detail }, 'refusing a sandbox network for an LLM task');
          throw new Error(
            'this task needs the AI model service, which this deployment cannot provide to sandboxes right now; ' +
              'please tell the hiring team',
          );
        }
        const netName = `${name}-net`;
        networkName = netName;
        const bridgeName = `${BRIDGE_PREFIX}${shortId()}`; // interface names are at most 15 characters
        bridge = bridgeName;
        const made = await this.withSubnet((sn) =>
          this.docker.createNetwork({
            Name: netName,
            Driver: 'bridge',
            Internal: true,
            Attachable: false,
            // A /28 of SANDBOX_SUBNET_POOL, not one of the engine's default pools (about 30 in all).
            IPAM: { Driver: 'default', Config: [{ Subnet: sn.cidr, Gateway: sn.gateway }] },
            Labels: {
              [LABEL]: this.instance,
              'org.worksample.owner': spec.ownerId,
              'org.worksample.purpose': spec.purpose,
              'org.worksample.bridge': bridgeName,
            },
            Options: {
              'com.docker.network.bridge.name': bridgeName,
              // Attach mode: the host gets no address on the bridge (none of its ports is reachable), and
              // containers on it may talk, since the gateway is the server's container; the only other
              // one is the session's sandbox.
              ...(attachTo ? NO_HOST_ADDRESS : { 'com.docker.network.bridge.enable_icc': 'false' }),
            },
          }),
        );
        const net = made.network;
        subnet = made.subnet;
        const held = made.subnet.cidr;
        created.push(async () => {
          await net.remove();
          this.subnets.release(held);
        });
        if (attachTo) {
          gatewayAddress = await attachSelf(this.docker, attachTo, networkName);
          created.push(() => detachSelf(this.docker, attachTo, networkName!));
        } else {
          if (firewall?.available) {
            // Rules go in before any container joins the network.
            await firewall.allowOnly(bridgeName, gatewayPort!);
            created.push(() => firewall.remove(bridgeName));
          }
          gatewayAddress = subnet.gateway;
        }
      }
      const container = await this.docker.createContainer(
        containerOptions({
          name,
          image,
          spec,
          volume,
          network: networkName ?? 'none',
          instance: this.instance,
        }),
      );
      created.push(() => container.remove({ force: true }));
      await container.start();
      return {
        id: container.id,
        spec,
        container,
        volume,
        networkName,
        bridge,
        subnet: subnet?.cidr,
        gatewayAddress,
        oomKills: 0,
      };
    } catch (err) {
      for (const undo of created.reverse()) await undo().catch(() => {});
      // An exhausted pool or a busy engine: the manager queues the job and tries again later.
      throw asShortage(err) ?? err;
    }
  }

  /**
   * Creates a network on a free subnet of the pool. Other networks on the engine (another
   * deployment, another test's driver) are listed first and skipped; one created by someone else in
   * the meantime makes Docker answer "overlaps", and the next free subnet is tried.
   */
  private async withSubnet(
    create: (subnet: Subnet) => Promise<Docker.Network>,
  ): Promise<{ network: Docker.Network; subnet: Subnet }> {
    this.foreignListed ??= this.listForeignSubnets().catch((err: unknown) => {
      this.foreignListed = undefined;
      throw err;
    });
    await this.foreignListed;
    let relisted = false;
    for (let tries = 0; tries < 16; tries++) {
      let subnet = this.subnets.take();
      if (!subnet && !relisted) {
        // Networks listed as someone else's may be gone now (ours released, a test's removed).
        relisted = true;
        await this.listForeignSubnets();
        subnet = this.subnets.take();
      }
      if (!subnet)
        throw new ResourceShortage(
          'addresses',
          `every /${this.subnets.prefix} subnet of the sandbox subnet pool is in use (${this.subnets.capacity})`,
        );
      try {
        return { network: await create(subnet), subnet };
      } catch (err) {
        this.subnets.release(subnet.cidr);
        if (!isOverlap(err)) throw err;
        this.subnets.addForeign(subnet.cidr);
      }
    }
    throw new ResourceShortage(
      'addresses',
      'no free sandbox subnet after 16 tries (the engine is creating many networks)',
    );
  }

  /** Learns the subnets of every network on the engine that this process does not hold. */
  private async listForeignSubnets(): Promise<void> {
    const networks = await this.docker.listNetworks();
    const cidrs: string[] = [];
    for (const n of networks)
      for (const c of n.IPAM?.Config ?? []) if (c.Subnet && !c.Subnet.includes(':')) cidrs.push(c.Subnet);
    this.subnets.setForeign(cidrs.filter((c) => !this.subnets.holds(c)));
  }

  async putFiles(session: SandboxSession, files: SandboxFile[], deletes: string[] = []): Promise<void> {
    const s = session as DockerSession;
    if (deletes.length) {
      for (const p of deletes)
        if (pathProblem(p)) throw new Error(`refusing to delete ${JSON.stringify(p)}: ${pathProblem(p)}`);
      await this.run(s, ['rm', '-rf', '--', ...deletes]);
    }
    if (files.length) await s.container.putArchive(packFiles(files, CANDIDATE_UID), { path: WORKSPACE });
  }

  /**
   * Reads the workspace archive and keeps regular files (under `under`, when given). The archive is
   * always of /workspace itself, so a symlink planted anywhere in `under` is an entry to skip, never
   * a path for the engine to resolve.
   */
  async getFiles(
    session: SandboxSession,
    opts: { maxBytes?: number; under?: string } = {},
  ): Promise<SandboxFile[]> {
    const s = session as DockerSession;
    const under = opts.under;
    if (under !== undefined && pathProblem(under))
      throw new Error(`bad path ${JSON.stringify(under)}: ${pathProblem(under)}`);
    const archive = await s.container.getArchive({ path: WORKSPACE });
    const { files } = await unpackFiles(archive, {
      prefix: WORKSPACE.slice(1),
      maxBytes: opts.maxBytes ?? 64 * 1024 * 1024,
      include: under === undefined ? undefined : (rel) => rel === under || rel.startsWith(`${under}/`),
    });
    return files;
  }

  exec(session: SandboxSession, req: ExecRequest): RunningExec {
    const s = session as DockerSession;
    return dockerExec(
      {
        docker: this.docker,
        container: s.container,
        limits: s.spec.limits,
        killAll: () =>
          req.user === 'harness'
            ? this.run(s, ['sh', '-c', 'kill -9 -1 2>/dev/null; exit 0'], { uid: HARNESS_UID }).then(() => {})
            : this.stopProcesses(s),
        oomSinceLastCheck: () => this.oomSinceLastCheck(s),
      },
      req,
    );
  }

  shell(session: SandboxSession, req: ShellRequest): Promise<RunningShell> {
    const s = session as DockerSession;
    return dockerShell({ docker: this.docker, container: s.container }, req);
  }

  /**
   * Ends every candidate process in the container and checks that none is left. This is the server's
   * own exec (nothing the candidate started can kill it): `kill -9 -1` as the candidate uid, repeated
   * until /proc lists no candidate process besides the reaper itself (a fork bomb forks while the kill
   * walks the process list). When the reaper cannot even start (the pids limit is exhausted) or gives
   * up, the container is restarted — everything in it dies, the workspace volume survives — and checked
   * again. Throws when processes still survive; the caller then destroys the session.
   */
  async stopProcesses(session: SandboxSession): Promise<void> {
    const s = session as DockerSession;
    let left = await this.reap(s);
    if (left === '') return;
    // A container that is not running was stopped by the engine (or an operator), not by the
    // candidate: restarting it would hide that from a grading judging the exec that just ended.
    if (!(await this.alive(s))) {
      s.lost = true;
      throw new Error('the sandbox stopped: its container is not running');
    }
    this.opts.logger.warn(
      { container: s.id, left },
      'candidate processes survived the reaper; restarting the sandbox',
    );
    await s.container.restart({ t: 0 });
    left = await this.reap(s);
    if (left === '') return;
    this.opts.logger.error(
      { container: s.id, left },
      'candidate processes survived a restart of the sandbox',
    );
    throw new Error(`candidate processes survived cleanup: ${left}`);
  }

  /** Runs the reaper with a time limit; '' when no candidate process is left, else what is. */
  private async reap(s: DockerSession): Promise<string> {
    const job = this.run(s, ['sh', '-c', REAPER], { exitCode: true });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the reaper timed out')), 5000);
    });
    try {
      const { out, code } = await Promise.race([job, timeout]);
      return code === 0 ? '' : `pids:${out.trim() || ' unknown'}`;
    } catch (err) {
      job.catch(() => {});
      return `reaper failed: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      clearTimeout(timer);
    }
  }

  private async oomSinceLastCheck(s: DockerSession): Promise<boolean> {
    const out = await this.run(s, [
      'sh',
      '-c',
      'cat /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events 2>/dev/null',
    ]);
    const count = Number(/oom_kill (\d+)/.exec(out)?.[1] ?? 0);
    const before = s.oomKills;
    s.oomKills = count;
    return count > before;
  }

  /** A short internal command as the candidate uid (or `o.uid`); returns stdout. */
  private async run(s: DockerSession, argv: string[], o?: { uid?: number }): Promise<string>;
  private async run(
    s: DockerSession,
    argv: string[],
    o: { exitCode: true; uid?: number },
  ): Promise<{ out: string; code: number | null }>;
  private async run(s: DockerSession, argv: string[], o?: { exitCode?: true; uid?: number }) {
    const uid = o?.uid ?? CANDIDATE_UID;
    const exec = await s.container.exec({
      Cmd: argv,
      User: `${uid}:${uid}`,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.demuxStream(
        stream,
        { write: (c: Buffer) => chunks.push(c) } as unknown as NodeJS.WritableStream,
        { write: () => true } as unknown as NodeJS.WritableStream,
      );
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    const out = Buffer.concat(chunks).toString('utf8');
    if (!o?.exitCode) return out;
    return { out, code: (await exec.inspect()).ExitCode ?? null };
  }

  async alive(session: SandboxSession): Promise<boolean> {
    const s = session as DockerSession;
    if (s.lost) return false;
    try {
      const info = await s.container.inspect();
      return info.State.Running && !info.State.Restarting;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return false;
      throw err;
    }
  }

  async destroy(session: SandboxSession): Promise<void> {
    const s = session as DockerSession;
    await s.container.remove({ force: true, v: true }).catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
    await this.removeVolume(s.volume);
    if (s.networkName) await this.removeNetwork(s.networkName, s.subnet);
  }

  async listOrphans(isLive: (sessionId: string) => boolean) {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL}=${this.instance}`] },
    });
    return containers
      .map((c) => ({
        id: c.Id,
        ownerId: c.Labels['org.worksample.owner'] ?? '',
        purpose: c.Labels['org.worksample.purpose'] ?? '',
      }))
      .filter((c) => !isLive(c.id));
  }

  async removeOrphan(id: string): Promise<void> {
    const container = this.docker.getContainer(id);
    const info = await container.inspect().catch(() => undefined);
    await container.remove({ force: true, v: true }).catch(() => {});
    if (!info) return;
    for (const m of info.Mounts ?? []) if (m.Type === 'volume' && m.Name) await this.removeVolume(m.Name);
    for (const net of Object.keys(info.NetworkSettings?.Networks ?? {}))
      if (net.startsWith('ws-')) await this.removeNetwork(net);
  }

  /** In attach mode: loopback and this container's addresses on its non-sandbox networks. */
  async apiAddresses(): Promise<string[] | undefined> {
    return this.attachedTo ? apiAddresses(this.docker, this.attachedTo) : undefined;
  }

  /** Removes dangling resources; starts building missing images in the background when asked. */
  async prepare(opts: PrepareOptions): Promise<{ building?: Promise<void> }> {
    await this.removeDanglingResources().catch(() => {});
    const status = await this.status();
    if (status.ready || !opts.autoBuild || !/images missing/.test(status.detail ?? '')) return {};
    // First start on a machine with Docker: build the images now rather than failing every Run.
    return { building: this.buildMissingImages(() => buildImages({ docker: this.docker, log: opts.log })) };
  }

  /** Volumes and networks left without a container (a crash between create steps). */
  async removeDanglingResources(): Promise<void> {
    const { Volumes } = await this.docker.listVolumes({
      filters: { label: [`${LABEL}=${this.instance}`], dangling: ['true'] },
    });
    for (const v of Volumes ?? []) await this.removeVolume(v.Name);
    for (const n of await this.docker.listNetworks({ filters: { label: [`${LABEL}=${this.instance}`] } })) {
      const info = await this.docker
        .getNetwork(n.Id)
        .inspect()
        .catch(() => undefined);
      const others = Object.keys(info?.Containers ?? {}).filter((id) => id !== this.opts.attachTo);
      if (info && others.length === 0) await this.removeNetwork(n.Id);
    }
  }

  private async removeVolume(name: string) {
    await this.docker
      .getVolume(name)
      .remove({ force: true })
      .catch(() => {});
  }

  /**
   * Removes a sandbox network and its firewall rules, and gives its subnet back once the engine no
   * longer has the network (a failed remove keeps the subnet held; the orphan sweep tries again).
   */
  private async removeNetwork(idOrName: string, subnet?: string) {
    const net = this.docker.getNetwork(idOrName);
    const info = await net.inspect().catch(() => undefined);
    if (this.opts.attachTo) await detachSelf(this.docker, this.opts.attachTo, idOrName);
    const gone = await net.remove().then(
      () => true,
      (err: { statusCode?: number }) => err.statusCode === 404,
    );
    const bridge = info?.Labels?.['org.worksample.bridge'];
    if (bridge) await this.opts.firewall?.remove(bridge).catch(() => {});
    const cidr = subnet ?? info?.IPAM?.Config?.[0]?.Subnet;
    if (gone && cidr) this.subnets.release(cidr);
  }

  async close(): Promise<void> {}
}
