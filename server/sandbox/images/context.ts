/**
 * The Docker build context for an environment, streamed as a tar: the files of `sandboxes/<env>/`
 * plus `vendor/node_modules/` assembled from the project's node_modules (see vendor.ts).
 */
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pack as tarPack, type Pack } from 'tar-stream';
import type { Recipe } from './recipe.ts';

type HeaderArgument = Parameters<Pack['entry']>[0];

function add(pack: Pack, header: HeaderArgument, content?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    const owned = { ...header, uid: 0, gid: 0 };
    if (content) pack.entry(owned, content, done);
    else pack.entry(owned, done);
  });
}

/**
 * Adds a package folder, without its nested node_modules (those packages are vendored on their own
 * when they are in the closure). Files hard-linked to one already added (esbuild links its binary
 * into two packages) become tar hard links, so the image stores them once.
 */
async function addTree(pack: Pack, src: string, dest: string, seen: Map<string, string>, top = true) {
  await add(pack, { name: dest, type: 'directory', mode: 0o755 });
  const entries = (await readdir(src)).sort();
  for (const name of entries) {
    if (top && name === 'node_modules') continue;
    const abs = join(src, name);
    const to = `${dest}/${name}`;
    const st = await lstat(abs);
    if (st.isDirectory()) await addTree(pack, abs, to, seen, false);
    else if (st.isSymbolicLink())
      await add(pack, { name: to, type: 'symlink', linkname: await readlink(abs) });
    else if (st.isFile()) {
      const mode = st.mode & 0o111 ? 0o755 : 0o644;
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? seen.get(key) : undefined;
      if (first) await add(pack, { name: to, type: 'link', linkname: first, mode });
      else {
        if (st.nlink > 1) seen.set(key, to);
        await add(pack, { name: to, type: 'file', mode }, await readFile(abs));
      }
    }
  }
}

/** A tar stream of the build context; errors while reading files destroy the stream. */
export function buildContext(recipe: Recipe): Pack {
  const pack = tarPack();
  (async () => {
    for (const f of recipe.files) {
      await add(pack, { name: f.path, type: 'file', mode: f.mode & 0o111 ? 0o755 : 0o644 }, f.content);
    }
    if (recipe.vendor.length > 0) {
      const seen = new Map<string, string>();
      await add(pack, { name: 'vendor', type: 'directory', mode: 0o755 });
      await add(pack, { name: 'vendor/node_modules', type: 'directory', mode: 0o755 });
      const scopes = new Set(
        recipe.vendor.filter((p) => p.dir.startsWith('@')).map((p) => p.dir.split('/')[0]),
      );
      for (const scope of scopes) {
        await add(pack, { name: `vendor/node_modules/${scope}`, type: 'directory', mode: 0o755 });
      }
      for (const p of recipe.vendor) {
        await addTree(pack, join(recipe.nodeModules, p.dir), `vendor/node_modules/${p.dir}`, seen);
      }
    }
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  return pack;
}
