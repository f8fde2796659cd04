/**
 * Builds the environments' images. Online, each Dockerfile builds FROM its registry base; when that
 * base cannot be pulled (no registry), or with `offline`, FROM the debootstrapped base instead.
 * Images are named by recipe hash, so an existing name means there is nothing to do.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { defaultCacheDir, ensureBaseImage, hostMirror, type BaseResult, type Log } from './base.ts';
import { buildContext } from './context.ts';
import { enginePlatform, followProgress, imageExists, pullImage } from './engine.ts';
import { environments, loadRecipe, type EnvName, type Recipe } from './recipe.ts';
import { assertPlatform } from './vendor.ts';
import { withFileLock } from './lock.ts';

export interface BuildOptions {
  docker: Docker;
  /** Skip the registry and build FROM the debootstrapped base. */
  offline?: boolean;
  /** Defaults to every environment. */
  envs?: EnvName[];
  log?: Log;
  /** Where the debootstrapped rootfs is kept (default /var/cache/worksample as root, else ~/.cache/worksample). */
  cacheDir?: string;
  /** Debian mirror for debootstrap (default: the one the host's apt uses for bookworm). */
  mirror?: string;
}

export interface BuildResult {
  env: EnvName;
  image: string;
  status: 'built' | 'cached';
  seconds: number;
}

const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10;
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function buildEnvImage(docker: Docker, recipe: Recipe, from: string, log: Log): Promise<void> {
  if (recipe.vendor.length > 0) assertPlatform(recipe.vendor, await enginePlatform(docker));
  try {
    const progress = await docker.buildImage(buildContext(recipe) as unknown as NodeJS.ReadableStream, {
      t: recipe.image,
      buildargs: { BASE: from, RECIPE: recipe.hash },
      // The classic builder: FROM a local image never touches a registry, and no BuildKit session is needed.
      version: '1',
      pull: false,
      rm: true,
      forcerm: true,
    });
    await followProgress(docker, progress, log);
  } catch (err) {
    throw new Error(`building ${recipe.image} FROM ${from} failed: ${message(err)}`);
  }
  if (!(await imageExists(docker, recipe.image))) {
    throw new Error(`building ${recipe.image} reported success but the image does not exist`);
  }
}

/**
 * Builds the images the current recipes name that do not exist yet; returns what happened per env.
 * Holds `<cacheDir>/images.lock` throughout, so a second builder (another process) waits and then
 * finds the first one's images ('cached') instead of debootstrapping into the same folder.
 */
export async function buildImages(opts: BuildOptions): Promise<BuildResult[]> {
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const log = opts.log ?? (() => {});
  await mkdir(cacheDir, { recursive: true });
  return withFileLock(join(cacheDir, 'images.lock'), () => buildUnlocked({ ...opts, cacheDir, log }), {
    onWait: (h) => log(`waiting for another image build (pid ${h.pid} on ${h.host}) to finish`),
  });
}

async function buildUnlocked(opts: BuildOptions & { cacheDir: string; log: Log }): Promise<BuildResult[]> {
  const { docker, log } = opts;
  let offline = opts.offline ?? false;
  let base: Promise<BaseResult> | undefined;
  const offlineBase = async () => {
    base ??= (async () => {
      const b = await ensureBaseImage({
        docker,
        log,
        cacheDir: opts.cacheDir,
        mirror: opts.mirror ?? (await hostMirror()),
      });
      log(
        b.status === 'cached'
          ? `base ${b.image}: cached`
          : `base ${b.image}: built (debootstrap ${b.debootstrapSeconds.toFixed(1)} s, import ${b.importSeconds.toFixed(1)} s)`,
      );
      return b;
    })();
    return (await base).image;
  };

  const results: BuildResult[] = [];
  for (const env of opts.envs ?? [...environments]) {
    const recipe = await loadRecipe(env);
    if (await imageExists(docker, recipe.image)) {
      log(`${env}: ${recipe.image} exists`);
      results.push({ env, image: recipe.image, status: 'cached', seconds: 0 });
      continue;
    }
    let from: string | undefined;
    if (!offline && (await isStandIn(docker, recipe.onlineBase))) {
      // The deploy test's offline copy of a registry image (tests/infra/stand-ins) is not that image:
      // one image name must mean the same contents whether or not the stand-ins are on this engine.
      log(`${env}: ${recipe.onlineBase} here is a local stand-in; using the offline base`);
      offline = true;
    }
    if (!offline) {
      try {
        if (!(await imageExists(docker, recipe.onlineBase))) {
          log(`${env}: pulling ${recipe.onlineBase}`);
          await pullImage(docker, recipe.onlineBase, log);
        }
        from = recipe.onlineBase;
      } catch (err) {
        log(`${env}: cannot pull ${recipe.onlineBase} (${message(err)}); using the offline base from now on`);
        offline = true;
      }
    }
    from ??= await offlineBase();
    const started = Date.now();
    log(`${env}: building ${recipe.image} FROM ${from}`);
    await buildEnvImage(docker, recipe, from, log);
    results.push({ env, image: recipe.image, status: 'built', seconds: seconds(started) });
  }
  return results;
}

/** True when `name` is a local stand-in for a registry image (labelled by tests/infra/stand-ins). */
async function isStandIn(docker: Docker, name: string): Promise<boolean> {
  const info = await docker
    .getImage(name)
    .inspect()
    .catch(() => undefined);
  return Boolean(info?.Config?.Labels?.['org.worksample.stand-in']);
}
