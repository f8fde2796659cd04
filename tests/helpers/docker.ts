/** Whether the Docker engine and the sandbox images are there, for suites that need them. */
import Docker from 'dockerode';
import { DockerDriver, hostFirewall, type Firewall } from '../../server/sandbox/index.ts';
import { silentLogger } from '../../server/logger/index.ts';
import { freePort } from './process.ts';
import { environments, imageFor, type EnvName } from '../../server/sandbox/images/index.ts';

export const docker = new Docker();

export async function imageExists(name: string): Promise<boolean> {
  return docker
    .getImage(name)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

/** True when the engine answers (within 3 s) and every environment's current image is built. */
export async function sandboxesReady(envs: readonly EnvName[] = environments): Promise<boolean> {
  if (!(await DockerDriver.engineAnswers(docker, 3000))) return false;
  return (await Promise.all(envs.map(async (e) => imageExists(await imageFor(e))))).every(Boolean);
}

export const sandboxesHint = 'install docker.io, start dockerd, then npm run sandboxes:build -- --offline';

/**
 * The Docker driver exactly as createSandboxDriver builds it for a local engine: the sandbox images,
 * the host firewall (pass one already looked up to reuse it) and a gateway port (a free one by default).
 */
export async function makeDriver(
  gatewayPort?: number,
  opts: { firewall?: Firewall; instance?: string } = {},
): Promise<DockerDriver> {
  return new DockerDriver({
    imageFor: (e) => imageFor(e as EnvName),
    logger: silentLogger,
    firewall: opts.firewall ?? (await hostFirewall()),
    gatewayPort: gatewayPort ?? (await freePort()),
    ...(opts.instance ? { instance: opts.instance } : {}),
  });
}
