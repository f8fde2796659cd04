/**
 * The offline base image: no registry is needed, only a Debian mirror. debootstrap builds one
 * bookworm rootfs (cached on disk behind a stamp file), the system tar streams it to the engine, and
 * dockerode imports it as `worksample-base:<basehash12>`. Both environments build FROM it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { baseHash, baseImage, baseRecipe } from './recipe.ts';
import { followProgress, imageExists } from './engine.ts';

export type Log = (line: string) => void;

/** Where the rootfs is kept between runs. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.getuid?.() === 0) return '/var/cache/worksample';
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'worksample');
}

/**
 * The Debian mirror the host's apt already uses for `suite` (deb822 `.sources` or one-line `.list`
 * files), so the build goes through whatever mirror this network allows; deb.debian.org otherwise.
 */
export async function hostMirror(suite: string = baseRecipe.suite, aptDir = '/etc/apt'): Promise<string> {
  const files = [join(aptDir, 'sources.list')];
  try {
    for (const f of (await readdir(join(aptDir, 'sources.list.d'))).sort()) {
      if (f.endsWith('.list') || f.endsWith('.sources')) files.push(join(aptDir, 'sources.list.d', f));
    }
  } catch {
    // no sources.list.d
  }
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (k: string) =>
          new RegExp(`^${k}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
        if (
          field('Types').includes('deb') &&
          field('Suites').includes(suite) &&
          field('Enabled')[0] !== 'no'
        ) {
          const uri = field('URIs')[0];
          if (uri) return uri;
        }
      }
    } else {
      for (const line of text.split('\n')) {
        const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (m?.[1] && m[2] === suite) return m[1];
      }
    }
  }
  return 'http://deb.debian.org/debian';
}

/** Runs a command, sending its output to `log` line by line; rejects on a non-zero exit. */
function run(cmd: string, args: string[], log: Log): Promise<void> {
  return new Promise((resolve, reject) => {
    // The environment passes through: debootstrap's wget honours http_proxy / https_proxy.
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) log(`  ${line.trimEnd()}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}:\n${tail.trim()}`)),
    );
  });
}

/** Empties `dir` (a real folder inside the rootfs, never a symlink out of it), keeping `keep`. */
async function clear(dir: string, keep: (name: string) => boolean = () => false): Promise<void> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st?.isDirectory()) return;
  for (const name of await readdir(dir))
    if (!keep(name)) await rm(join(dir, name), { recursive: true, force: true });
}

/** Strips what a sandbox never needs: apt indexes and caches, docs (but copyright), man pages, locales. */
async function cleanRootfs(rootfs: string): Promise<void> {
  await clear(join(rootfs, 'var/lib/apt/lists'), (n) => n === 'partial');
  await clear(join(rootfs, 'var/cache/apt'), (n) => n === 'archives');
  await clear(join(rootfs, 'var/cache/apt/archives'), (n) => n === 'partial' || n === 'lock');
  await clear(join(rootfs, 'var/log'));
  await clear(join(rootfs, 'usr/share/man'));
  await clear(join(rootfs, 'usr/share/info'));
  await clear(join(rootfs, 'usr/share/locale'), (n) => n === 'locale.alias');
  const docs = join(rootfs, 'usr/share/doc');
  for (const pkg of await readdir(docs).catch(() => [] as string[])) {
    await clear(join(docs, pkg), (n) => n === 'copyright');
  }
}

export interface BaseResult {
  image: string;
  status: 'built' | 'cached';
  /** Seconds spent in debootstrap (0 when the cached rootfs was reused) and in the import. */
  debootstrapSeconds: number;
  importSeconds: number;
}

/** Makes sure `worksample-base:<basehash12>` exists: reuses it, or the cached rootfs, or debootstraps. */
export async function ensureBaseImage(opts: {
  docker: Docker;
  cacheDir: string;
  mirror: string;
  log: Log;
}): Promise<BaseResult> {
  const { docker, log } = opts;
  const image = baseImage();
  if (await imageExists(docker, image)) {
    return { image, status: 'cached', debootstrapSeconds: 0, importSeconds: 0 };
  }
  if (process.getuid?.() !== 0) {
    throw new Error('the offline base needs root (debootstrap); run the build as root or use a registry');
  }

  const rootfs = join(opts.cacheDir, `rootfs-${baseHash().slice(0, 12)}`);
  const stamp = `${rootfs}.done`;
  let debootstrapSeconds = 0;
  if (existsSync(stamp)) {
    log(`base: reusing ${rootfs}`);
  } else {
    const started = Date.now();
    await mkdir(opts.cacheDir, { recursive: true });
    // A folder without a stamp is a half-finished debootstrap, which refuses to resume.
    await rm(rootfs, { recursive: true, force: true });
    log(`base: debootstrap ${baseRecipe.suite} from ${opts.mirror} into ${rootfs}`);
    await run(
      'debootstrap',
      [
        `--variant=${baseRecipe.variant}`,
        `--include=${baseRecipe.packages.join(',')}`,
        baseRecipe.suite,
        rootfs,
        opts.mirror,
      ],
      log,
    );
    await cleanRootfs(rootfs);
    await writeFile(stamp, `${JSON.stringify(baseRecipe)}\n`);
    debootstrapSeconds = (Date.now() - started) / 1000;
  }

  const started = Date.now();
  log(`base: importing ${image}`);
  const tar = spawn('tar', ['-C', rootfs, '--numeric-owner', '-c', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tarErr = '';
  tar.stderr.on('data', (c: Buffer) => (tarErr += c.toString('utf8')));
  const tarDone = new Promise<void>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`tar exited with ${code}: ${tarErr}`)),
    );
  });
  const [repo, tag] = image.split(':') as [string, string];
  // An imported image has no config; give it the PATH and shell every Dockerfile step expects.
  try {
    const progress = await docker.importImage(tar.stdout, {
      repo,
      tag,
      changes: ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["/bin/bash"]'],
    });
    await Promise.all([followProgress(docker, progress, log), tarDone]);
  } finally {
    // On failure nobody reads tar's output any more; don't leave it blocked.
    if (tar.exitCode === null) tar.kill();
  }
  if (!(await imageExists(docker, image))) throw new Error(`import finished but ${image} does not exist`);
  return { image, status: 'built', debootstrapSeconds, importSeconds: (Date.now() - started) / 1000 };
}
