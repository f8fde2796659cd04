/**
 * npm packages a sandbox image carries in /node_modules, taken from the project's own node_modules
 * so the image holds exactly the versions the project was tested with, and no registry is needed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface VendoredPackage {
  name: string;
  version: string;
  /** Folder relative to node_modules, POSIX (`tsx`, `@esbuild/linux-x64`, `a/node_modules/b`). */
  dir: string;
  /** package.json `os` / `cpu` (platform binary packages such as esbuild's have them). */
  os?: string[];
  cpu?: string[];
}

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  os?: string[];
  cpu?: string[];
}

async function readPackage(nodeModules: string, dir: string): Promise<PackageJson | undefined> {
  try {
    return JSON.parse(await readFile(join(nodeModules, dir, 'package.json'), 'utf8')) as PackageJson;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Node's lookup order from a package folder: its own node_modules, then each enclosing one. */
function lookupDirs(fromDir: string): string[] {
  const dirs: string[] = [];
  let cur = fromDir;
  while (cur) {
    dirs.push(`${cur}/node_modules`);
    const i = cur.lastIndexOf('/node_modules/');
    cur = i < 0 ? '' : cur.slice(0, i);
  }
  dirs.push('');
  return dirs;
}

async function resolveFrom(
  nodeModules: string,
  fromDir: string,
  name: string,
): Promise<{ dir: string; pkg: PackageJson } | undefined> {
  for (const base of lookupDirs(fromDir)) {
    const dir = base ? `${base}/${name}` : name;
    const pkg = await readPackage(nodeModules, dir);
    if (pkg) return { dir, pkg };
  }
  return undefined;
}

/**
 * The installed dependency closure of `roots`: dependencies and required peers must be installed;
 * optional dependencies are taken if present (that is how esbuild's one platform binary package
 * comes along) and optional peers are left out. Sorted by folder.
 */
export async function vendorClosure(
  nodeModules: string,
  roots: readonly string[],
): Promise<VendoredPackage[]> {
  const found = new Map<string, VendoredPackage>();
  const queue: Array<{ from: string; name: string; required: boolean }> = roots.map((name) => ({
    from: '',
    name,
    required: true,
  }));
  while (queue.length > 0) {
    const { from, name, required } = queue.shift()!;
    const hit = await resolveFrom(nodeModules, from, name);
    if (!hit) {
      if (!required) continue;
      throw new Error(
        `cannot vendor "${name}"${from ? ` (needed by ${from})` : ''}: not installed in ${nodeModules}; run npm ci`,
      );
    }
    if (found.has(hit.dir)) continue;
    const { pkg } = hit;
    found.set(hit.dir, {
      name: pkg.name,
      version: pkg.version,
      dir: hit.dir,
      ...(pkg.os ? { os: pkg.os } : {}),
      ...(pkg.cpu ? { cpu: pkg.cpu } : {}),
    });
    for (const dep of Object.keys(pkg.dependencies ?? {}))
      queue.push({ from: hit.dir, name: dep, required: true });
    for (const dep of Object.keys(pkg.optionalDependencies ?? {}))
      queue.push({ from: hit.dir, name: dep, required: false });
    for (const dep of Object.keys(pkg.peerDependencies ?? {})) {
      if (!pkg.peerDependenciesMeta?.[dep]?.optional)
        queue.push({ from: hit.dir, name: dep, required: true });
    }
  }
  return [...found.values()].sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
}

/** Node's names for Docker's architectures (`docker version` Arch → package.json `cpu`). */
const nodeArch: Record<string, string> = { amd64: 'x64', arm64: 'arm64', arm: 'arm', '386': 'ia32' };

/**
 * Throws if a vendored package is built for another platform than the engine's (e.g. node_modules
 * installed on macOS carries a darwin esbuild binary, which tsx could not run inside the image).
 */
export function assertPlatform(pkgs: readonly VendoredPackage[], engine: { os: string; arch: string }): void {
  const cpu = nodeArch[engine.arch] ?? engine.arch;
  const wrong = pkgs.filter((p) => (p.os && !p.os.includes(engine.os)) || (p.cpu && !p.cpu.includes(cpu)));
  if (wrong.length > 0) {
    throw new Error(
      `vendored packages do not match the Docker engine (${engine.os}/${cpu}): ` +
        `${wrong.map((p) => p.name).join(', ')}; install node_modules on a ${engine.os}/${cpu} machine`,
    );
  }
}
