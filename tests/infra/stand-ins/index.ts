/**
 * Stand-ins for the registry images the deployment names: `node:20-bookworm-slim` (Dockerfile) and
 * `postgres:15` (docker-compose.yml). No container registry is reachable on CI's machines, so they are
 * built offline the way the sandbox images are: FROM the debootstrapped `worksample-base` (built here
 * too when missing), node with the host's own Node 20 and npm copied in, postgres with Debian's
 * postgresql-15 and an entrypoint that behaves like the official one. Tagged with exactly those names,
 * so `docker-compose up --build` runs the project's real Dockerfile and compose file.
 *
 * Cached: an image whose `org.worksample.stand-in` label matches the current recipe is kept.
 * CLI: `npx tsx tests/infra/stand-ins/cli.ts` (called by `.ci/run`).
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type Docker from 'dockerode';
import { gzipSync } from 'node:zlib';
import { pack as tarPack, type Pack } from 'tar-stream';
import { defaultCacheDir, ensureBaseImage, hostMirror } from '../../../server/sandbox/images/base.ts';
import { followProgress } from '../../../server/sandbox/images/engine.ts';
import { withFileLock } from '../../../server/sandbox/images/lock.ts';
import { baseImage, projectRoot } from '../../../server/sandbox/images/recipe.ts';

export const STAND_IN_LABEL = 'org.worksample.stand-in';
const here = import.meta.dirname;
const caBundle = '/etc/ssl/certs/ca-certificates.crt';

/** A file of the build context: from the host (`src`, a file or a folder) or given (`content`). */
type ContextEntry = { dest: string; src: string } | { dest: string; content: Buffer; mode?: number };

interface StandIn {
  image: string;
  /** Everything that decides the image's contents, hashed into its label. */
  recipe: string[];
  context: ContextEntry[];
}

/** Where the running Node keeps its binary, npm and headers (an official tarball's layout). */
async function hostNode(): Promise<{ bin: string; npm: string; include: string; npmVersion: string }> {
  if (process.versions.node.split('.')[0] !== '20') {
    throw new Error(`node:20-bookworm-slim needs the host's Node 20; this is Node ${process.versions.node}`);
  }
  const bin = await realpath(process.execPath);
  const prefix = dirname(dirname(bin));
  const npm = join(prefix, 'lib/node_modules/npm');
  const include = join(prefix, 'include/node');
  for (const p of [npm, join(include, 'common.gypi')]) {
    await lstat(p).catch(() => {
      throw new Error(`the host's Node install has no ${p} (npm and headers are copied from it)`);
    });
  }
  const npmVersion = (JSON.parse(await readFile(join(npm, 'package.json'), 'utf8')) as { version: string })
    .version;
  return { bin, npm, include, npmVersion };
}

/**
 * better-sqlite3's prebuilt binary, made from the host's own build (same Node ABI, same Debian glibc)
 * and named as prebuild-install's download cache names what it fetched from GitHub. Where GitHub
 * answers, `npm ci` in the image downloads this file; here nothing does, and compiling SQLite instead
 * costs CI minutes. Returns the cache file name (under ~/.npm/_prebuilds) and the .tar.gz.
 */
async function sqlitePrebuild(): Promise<{ name: string; content: Buffer }> {
  const dir = join(projectRoot, 'node_modules/better-sqlite3');
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const util = createRequire(join(dir, 'package.json'))('prebuild-install/util') as {
    getDownloadUrl(opts: object): string;
    cachedPrebuild(url: string): string;
  };
  const url = util.getDownloadUrl({
    pkg,
    runtime: 'node',
    abi: process.versions.modules,
    platform: process.platform,
    arch: process.arch,
    'tag-prefix': 'v',
  });
  const binary = await readFile(join(dir, 'build/Release/better_sqlite3.node'));
  const pack = tarPack();
  const tar = (async () => {
    const chunks: Buffer[] = [];
    for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
    return chunks;
  })();
  await add(pack, { name: 'build/Release/better_sqlite3.node', type: 'file', mode: 0o755 }, binary);
  pack.finalize();
  const chunks = await tar;
  return { name: basename(util.cachedPrebuild(url)), content: gzipSync(Buffer.concat(chunks)) };
}

async function recipes(): Promise<StandIn[]> {
  const base = baseImage();
  const node = await hostNode();
  const npmrc = Buffer.from(
    [
      `cafile=${caBundle}`,
      'nodedir=/usr/local',
      'update-notifier=false',
      'fund=false',
      'audit=false',
      '',
    ].join('\n'),
  );
  const ca = await readFile(caBundle);
  const prebuild = await sqlitePrebuild();
  const nodeDockerfile = await readFile(join(here, 'node.Dockerfile'));
  const pgDockerfile = await readFile(join(here, 'postgres.Dockerfile'));
  const entrypoint = await readFile(join(here, 'postgres-entrypoint.sh'));
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  return [
    {
      image: 'node:20-bookworm-slim',
      recipe: [
        base,
        sha(nodeDockerfile),
        process.version,
        node.npmVersion,
        sha(npmrc),
        sha(ca),
        prebuild.name,
        sha(prebuild.content),
      ],
      context: [
        { dest: 'Dockerfile', content: nodeDockerfile },
        { dest: 'node/bin/node', src: node.bin },
        { dest: 'node/lib/node_modules/npm', src: node.npm },
        { dest: 'node/include/node', src: node.include },
        { dest: 'ca-certificates.crt', content: ca },
        { dest: 'npmrc', content: npmrc },
        { dest: `prebuilds/${prebuild.name}`, content: prebuild.content },
      ],
    },
    {
      image: 'postgres:15',
      recipe: [base, sha(pgDockerfile), sha(entrypoint)],
      context: [
        { dest: 'Dockerfile', content: pgDockerfile },
        { dest: 'postgres-entrypoint.sh', content: entrypoint, mode: 0o755 },
      ],
    },
  ];
}

const recipeHash = (s: StandIn) =>
  createHash('sha256').update(s.recipe.join('\n')).digest('hex').slice(0, 16);

/** The images the deployment names, which this module stands in for. */
export const standInImages = ['node:20-bookworm-slim', 'postgres:15'] as const;

/** True when every stand-in exists and was built from the current recipe. */
export async function standInsReady(docker: Docker): Promise<boolean> {
  const all = await recipes().catch(() => undefined);
  if (!all) return false;
  const labels = await Promise.all(
    all.map((s) =>
      docker
        .getImage(s.image)
        .inspect()
        .then(
          (i) => i.Config?.Labels?.[STAND_IN_LABEL],
          () => undefined,
        ),
    ),
  );
  return all.every((s, i) => labels[i] === recipeHash(s));
}

function add(pack: Pack, header: Parameters<Pack['entry']>[0], content?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    // A fixed mtime: the prebuild tarball is hashed into the recipe.
    const owned = { ...header, uid: 0, gid: 0, mtime: new Date(0) };
    if (content) pack.entry(owned, content, done);
    else pack.entry(owned, done);
  });
}

async function addPath(pack: Pack, src: string, dest: string): Promise<void> {
  const st = await lstat(src);
  if (st.isSymbolicLink()) await add(pack, { name: dest, type: 'symlink', linkname: await readlink(src) });
  else if (st.isDirectory()) {
    await add(pack, { name: dest, type: 'directory', mode: 0o755 });
    for (const name of (await readdir(src)).sort()) await addPath(pack, join(src, name), `${dest}/${name}`);
  } else if (st.isFile()) {
    await add(pack, { name: dest, type: 'file', mode: st.mode & 0o111 ? 0o755 : 0o644 }, await readFile(src));
  }
}

/** The build context as a tar stream; parent folders are created by the engine as needed. */
function context(entries: ContextEntry[]): Pack {
  const pack = tarPack();
  (async () => {
    for (const e of entries) {
      if ('src' in e) await addPath(pack, e.src, e.dest);
      else await add(pack, { name: e.dest, type: 'file', mode: e.mode ?? 0o644 }, e.content);
    }
    pack.finalize();
  })().catch((err: Error) => pack.destroy(err));
  return pack;
}

export interface StandInResult {
  image: string;
  status: 'built' | 'cached';
  seconds: number;
}

/**
 * Builds each stand-in that is missing or stale (and the offline base first, when that is missing).
 * Holds the sandbox images' lock, so it never debootstraps alongside `npm run sandboxes:build`.
 */
export async function ensureStandIns(opts: {
  docker: Docker;
  log: (line: string) => void;
}): Promise<StandInResult[]> {
  const { docker, log } = opts;
  const cacheDir = defaultCacheDir();
  await mkdir(cacheDir, { recursive: true });
  return withFileLock(join(cacheDir, 'images.lock'), async () => {
    const results: StandInResult[] = [];
    let baseReady = false;
    for (const s of await recipes()) {
      const hash = recipeHash(s);
      const label = await docker
        .getImage(s.image)
        .inspect()
        .then(
          (i) => i.Config?.Labels?.[STAND_IN_LABEL],
          () => undefined,
        );
      if (label === hash) {
        log(`${s.image}: stand-in ${hash} exists`);
        results.push({ image: s.image, status: 'cached', seconds: 0 });
        continue;
      }
      if (!baseReady) {
        const b = await ensureBaseImage({ docker, log, cacheDir, mirror: await hostMirror() });
        log(`base ${b.image}: ${b.status}`);
        baseReady = true;
      }
      const started = Date.now();
      log(`${s.image}: building stand-in ${hash} FROM ${baseImage()}`);
      const stream = await docker.buildImage(context(s.context) as unknown as NodeJS.ReadableStream, {
        t: s.image,
        buildargs: { BASE: baseImage() },
        labels: { [STAND_IN_LABEL]: hash },
        // The classic builder: FROM a local image never touches a registry.
        version: '1',
        pull: false,
        rm: true,
        forcerm: true,
      });
      await followProgress(docker, stream, log);
      results.push({ image: s.image, status: 'built', seconds: (Date.now() - started) / 1000 });
    }
    return results;
  });
}
