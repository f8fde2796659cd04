/**
 * Sandboxes run candidate code. One SandboxDriver interface, three implementations:
 * `docker` (production: hardened containers through dockerode), `local` (a fallback with no
 * isolation, refused in production unless explicitly allowed), and `none` (nothing can run).
 * `auto` picks docker when an engine answers, else local.
 */
import Docker from 'dockerode';
import { ConfigError, type Config } from '../config/index.ts';
import type { Logger } from '../logger/index.ts';
import { AppError } from '../errors/index.ts';
import { defaultLimits, type SandboxDriver, type SandboxLimits } from './types.ts';
import { DockerDriver } from './docker/driver.ts';
import { LocalDriver, LOCAL_WARNING } from './local/driver.ts';
import { hostFirewall } from './docker/firewall.ts';
import { inContainer, ownContainerId } from './docker/attach.ts';
import { imageFor as imageForEnv, type EnvName } from './images/index.ts';

export * from './types.ts';
export {
  removeAllSessions,
  SandboxManager,
  type ManagerOptions,
  type SlotOptions,
  type SlotTicket,
  type AttemptSandbox,
} from './manager.ts';
export { DockerDriver } from './docker/driver.ts';
export { LocalDriver, LOCAL_WARNING } from './local/driver.ts';
export { hostFirewall, type Firewall } from './docker/firewall.ts';
export { apiAddresses, ownContainerId } from './docker/attach.ts';

/** A driver that runs nothing: every run answers 503 with the reason. */
export function noSandbox(reason = 'no sandbox driver is configured'): SandboxDriver {
  const refuse = async (): Promise<never> => {
    throw new AppError('unavailable', `code cannot run: ${reason}`);
  };
  return {
    name: 'none',
    status: async () => ({ driver: 'none', ready: false, detail: reason }),
    createSession: refuse,
    putFiles: refuse,
    getFiles: refuse,
    exec: () => {
      const result = refuse();
      result.catch(() => {});
      return { write() {}, closeStdin() {}, cancel() {}, result };
    },
    stopProcesses: refuse,
    destroy: async () => {},
    listOrphans: async () => [],
    removeOrphan: async () => {},
    close: async () => {},
  };
}

/** Chooses and constructs the driver from config (SANDBOX_DRIVER), refusing unsafe combinations. */
export async function createSandboxDriver(
  config: Config,
  logger: Logger,
  imageFor: (env: string) => Promise<string>,
): Promise<SandboxDriver> {
  let choice = config.sandboxDriver;
  if (choice === 'none') return noSandbox('SANDBOX_DRIVER=none');
  if (choice === 'workers')
    throw new ConfigError([
      'SANDBOX_DRIVER=workers: only `worksample serve` uses sandbox workers; this command runs sandboxes itself (use docker or auto)',
    ]);
  if (choice === 'auto') choice = (await DockerDriver.engineAnswers()) ? 'docker' : 'local';
  if (choice === 'docker') {
    const attachTo = await gatewayAttachment(config, logger);
    // The firewall is applied on this machine, so it only protects a local engine.
    const remote = /^(tcp|https?|ssh):/.test(process.env.DOCKER_HOST ?? '');
    const firewall = attachTo || remote ? undefined : await hostFirewall();
    if (!attachTo && !firewall?.available)
      logger.warn(
        'sandbox host firewall unavailable: tasks that use the LLM gateway cannot run unless SANDBOX_ALLOW_UNFIREWALLED_GATEWAY=true ' +
          '(or run the server in a container with the Docker socket: SANDBOX_GATEWAY_MODE=attach)',
      );
    return new DockerDriver({
      imageFor,
      logger,
      firewall,
      attachTo,
      instance: config.sandbox.instance,
      gatewayPort: config.gatewayPort,
      allowUnfirewalledGateway: config.sandbox.allowUnfirewalledGateway,
      subnetPool: config.sandbox.subnetPool,
    });
  }
  if (config.nodeEnv === 'production' && !config.allowLocalSandboxInProduction) {
    throw new Error(
      'refusing to start: no Docker engine answers and the local sandbox gives candidate code no isolation. ' +
        'Start Docker (or set DOCKER_HOST), or set ALLOW_LOCAL_SANDBOX_IN_PRODUCTION=true to accept the risk.',
    );
  }
  logger.warn(LOCAL_WARNING);
  return new LocalDriver({ logger });
}

/**
 * Image names by environment, each computed once: they depend only on recipe files, which do not
 * change while a process runs.
 */
export function imageResolver(): (env: string) => Promise<string> {
  const images = new Map<string, Promise<string>>();
  return (env) => {
    if (!images.has(env)) images.set(env, imageForEnv(env as EnvName));
    return images.get(env)!;
  };
}

/** Sandbox limits from config; output, file and filesystem sizes are fixed product limits. */
export function limitsFromConfig(config: Config): SandboxLimits {
  return {
    ...defaultLimits,
    wallMs: config.sandbox.runMs,
    memoryBytes: config.sandbox.memoryBytes,
    cpus: config.sandbox.cpus,
    pids: config.sandbox.pids,
  };
}
export { imageFor, environments } from './images/index.ts';
export type { EnvName } from './images/index.ts';
export type { SandboxFile, ExecResult, RunningExec, SandboxSession } from './types.ts';
export type { ExecRequest, SandboxDriver, Verdict } from './types.ts';

/**
 * The container to attach to gateway networks (attach mode), or undefined for host mode.
 * `auto` attaches when this process runs in a container of the engine it drives.
 */
async function gatewayAttachment(config: Config, logger: Logger): Promise<string | undefined> {
  const mode = config.sandbox.gatewayMode;
  if (mode === 'host' || (mode === 'auto' && !inContainer())) return undefined;
  const id = await ownContainerId(new Docker());
  if (id) {
    logger.info({ container: id.slice(0, 12) }, 'LLM gateway: attaching this container to sandbox networks');
    return id;
  }
  if (mode === 'attach')
    throw new Error(
      'SANDBOX_GATEWAY_MODE=attach: this process does not run in a container of the Docker engine it drives ' +
        '(no container matches its hostname); use SANDBOX_GATEWAY_MODE=host on the Docker host',
    );
  return undefined;
}
