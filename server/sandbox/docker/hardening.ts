/**
 * The container recipe for candidate code. Stops: privilege escalation (non-root, no capabilities,
 * no-new-privileges, worksample's own seccomp allow-list — seccomp.json: Docker's default minus
 * io_uring, userfaultfd, keyrings, bpf, perf, ptrace and cross-process memory, namespaces, mounts,
 * odd socket families and personalities, and 32-bit syscalls), host tampering (read-only root, no bind mounts, never the
 * Docker socket), resource exhaustion (memory = memory+swap, CPU quota, pids, ulimits, sized tmpfs),
 * secret theft (an environment with nothing from the server) and exfiltration (no network, or a
 * private network that reaches only the LLM gateway). Every line has a test in tests/sandbox/.
 */
import { readFileSync } from 'node:fs';
import type { ContainerCreateOptions } from 'dockerode';
import type { SandboxLimits, SessionSpec } from '../types.ts';

/** The candidate's processes run as this uid; the container's keeper process as KEEPER_UID. */
export const CANDIDATE_UID = 1000;
/** A different unprivileged uid for PID 1's child, so `kill -9 -1` from a run cannot stop the container. */
export const KEEPER_UID = 1001;
/** Marks what a worksample deployment created; the value names the deployment (its instance id). */
export const LABEL = 'org.worksample.managed';
export const WORKSPACE = '/workspace';

/** Environment every sandbox process sees: fixed, and free of anything from the server's env. */
export const baseEnv = (extra: Record<string, string> = {}) => [
  'PATH=/node_modules/.bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'HOME=/tmp',
  'LANG=C.UTF-8',
  'PYTHONDONTWRITEBYTECODE=1',
  'PYTHONUNBUFFERED=1',
  'FORCE_COLOR=1',
  ...Object.entries(extra).map(([k, v]) => `${k}=${v}`),
];

let profile: string | undefined;
/** The seccomp profile every sandbox gets (server/sandbox/docker/seccomp.json), as one JSON line. */
export function seccompProfile(): string {
  profile ??= JSON.stringify(JSON.parse(readFileSync(new URL('./seccomp.json', import.meta.url), 'utf8')));
  return profile;
}

export function containerOptions(input: {
  name: string;
  image: string;
  spec: SessionSpec;
  volume: string;
  network: string;
  instance: string;
}): ContainerCreateOptions {
  const l: SandboxLimits = input.spec.limits;
  return {
    name: input.name,
    Image: input.image,
    // PID 1 is docker-init (reaps orphans); its only child sleeps, as a uid the candidate can't signal.
    Cmd: ['sleep', 'infinity'],
    User: `${KEEPER_UID}:${KEEPER_UID}`,
    WorkingDir: WORKSPACE,
    Env: baseEnv(),
    Labels: {
      [LABEL]: input.instance,
      'org.worksample.purpose': input.spec.purpose,
      'org.worksample.owner': input.spec.ownerId,
      'org.worksample.env': input.spec.env,
    },
    NetworkDisabled: input.network === 'none',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    HostConfig: {
      Init: true,
      NetworkMode: input.network,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true', `seccomp=${seccompProfile()}`],
      ReadonlyRootfs: true,
      Privileged: false,
      // Only the per-session tmpfs volume: no bind mounts, never the Docker socket.
      Binds: [],
      Mounts: [{ Type: 'volume', Source: input.volume, Target: WORKSPACE, ReadOnly: false }],
      Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${l.tmpBytes},mode=1777` },
      Memory: l.memoryBytes,
      MemorySwap: l.memoryBytes,
      MemorySwappiness: 0,
      NanoCpus: Math.round(l.cpus * 1e9),
      PidsLimit: l.pids,
      OomKillDisable: false,
      Ulimits: [
        { Name: 'nofile', Soft: l.openFiles, Hard: l.openFiles },
        { Name: 'fsize', Soft: l.fileSizeBytes, Hard: l.fileSizeBytes },
        { Name: 'core', Soft: 0, Hard: 0 },
      ],
      IpcMode: 'private',
      PidMode: '',
      UTSMode: '',
      UsernsMode: '',
      AutoRemove: false,
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'none', Config: {} },
    },
  };
}

/** The workspace volume: tmpfs, sized, owned by the candidate uid. */
export function volumeOptions(name: string, spec: SessionSpec, instance: string) {
  return {
    Name: name,
    Driver: 'local',
    DriverOpts: {
      type: 'tmpfs',
      device: 'tmpfs',
      o: `size=${spec.limits.workspaceBytes},uid=${CANDIDATE_UID},gid=${CANDIDATE_UID},mode=0755,nosuid,nodev`,
    },
    Labels: {
      [LABEL]: instance,
      'org.worksample.owner': spec.ownerId,
      'org.worksample.purpose': spec.purpose,
    },
  };
}
