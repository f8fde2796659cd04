/** Whether the Docker engine and the sandbox images are there, for suites that need them. */
import Docker from 'dockerode';
import { DockerDriver } from '../../server/sandbox/index.ts';
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
