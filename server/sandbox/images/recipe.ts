/**
 * Recipes: what an environment's image is made of, and the hash that names it
 * (`worksample-sandbox-<env>:<hash12>`). The hash must change whenever the image's contents could:
 * any file in `sandboxes/<env>/`, the vendored npm packages' names and versions, and the offline
 * base's recipe. The base recipe is hashed whichever build path runs, so one name means one recipe
 * and the driver can ask for it without knowing how it was built.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from '../../blobs/index.ts';
import { vendorClosure, type VendoredPackage } from './vendor.ts';

export const environments = ['node', 'python'] as const;
export type EnvName = (typeof environments)[number];

/** npm packages copied (with their dependency closure) into an environment's /node_modules. */
const vendorRoots: Record<EnvName, readonly string[]> = {
  node: ['openai', '@anthropic-ai/sdk', 'tsx'],
  python: [],
};

/**
 * The offline base image: one Debian rootfs shared by every environment (one debootstrap in CI).
 * Bump `cleanup` when base.ts changes what it strips from the rootfs.
 */
export const baseRecipe = {
  suite: 'bookworm',
  variant: 'minbase',
  packages: [
    'ca-certificates',
    'nodejs',
    'procps',
    'python3',
    'python3-httpx',
    'python3-pytest',
    'python3-requests',
    'tar',
  ],
  cleanup: 1,
} as const;

/** Bumped if the hashing scheme changes, so old and new hashes never collide. */
const SCHEME = 'worksample-sandbox-v1';

/** The repository root: holds `sandboxes/` and `node_modules/`. */
export const projectRoot = fileURLToPath(new URL('../../..', import.meta.url));

export interface RecipeFile {
  /** POSIX path relative to the environment folder. */
  path: string;
  content: Buffer;
  mode: number;
}

export interface Recipe {
  env: EnvName;
  hash: string;
  /** `worksample-sandbox-<env>:<hash12>` */
  image: string;
  files: RecipeFile[];
  nodeModules: string;
  vendor: VendoredPackage[];
  /** The Dockerfile's default `ARG BASE`: the registry image the online path builds from. */
  onlineBase: string;
}

const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function readTree(dir: string, prefix = ''): Promise<RecipeFile[]> {
  const out: RecipeFile[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await readTree(dir, rel)));
    else if (entry.isFile()) {
      const abs = join(dir, rel);
      out.push({ path: rel, content: await readFile(abs), mode: (await stat(abs)).mode & 0o777 });
    } else throw new Error(`sandboxes may only hold files and folders: ${join(dir, rel)}`);
  }
  return out.sort((a, b) => byPath(a.path, b.path));
}

export function baseHash(): string {
  return sha256Hex(`${SCHEME}-base\n${JSON.stringify(baseRecipe)}`);
}

/** The offline base image's name: `worksample-base:<basehash12>`. */
export function baseImage(): string {
  return `worksample-base:${baseHash().slice(0, 12)}`;
}

/**
 * Reads an environment's recipe from `root` (a folder with `sandboxes/<env>/` and `node_modules/`;
 * tests pass a temporary copy). Reads files only; never talks to Docker.
 */
export async function loadRecipe(env: EnvName, root: string = projectRoot): Promise<Recipe> {
  const files = await readTree(join(root, 'sandboxes', env));
  const dockerfile = files.find((f) => f.path === 'Dockerfile');
  if (!dockerfile) throw new Error(`sandboxes/${env}/Dockerfile is missing`);
  const onlineBase = /^ARG BASE=(\S+)\s*$/m.exec(dockerfile.content.toString('utf8'))?.[1];
  if (!onlineBase) throw new Error(`sandboxes/${env}/Dockerfile must declare a default: ARG BASE=<image>`);

  const nodeModules = join(root, 'node_modules');
  const vendor = await vendorClosure(nodeModules, vendorRoots[env]);
  const hash = sha256Hex(
    `${SCHEME}\n${JSON.stringify({
      env,
      files: files.map((f) => [f.path, sha256Hex(f.content)]),
      vendor: vendor.map((p) => [p.dir, p.name, p.version]),
      base: baseRecipe,
    })}`,
  );
  return {
    env,
    hash,
    image: `worksample-sandbox-${env}:${hash.slice(0, 12)}`,
    files,
    nodeModules,
    vendor,
    onlineBase,
  };
}
