/**
 * Tar streams in and out of a sandbox. Stops hostile file names and symlink tricks: entries going
 * in are built only from validated workspace paths; coming out, only regular files with valid
 * relative paths are read — symlinks, hard links, devices and `..` names are skipped, never followed —
 * and the total read is capped.
 */
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { pathProblem } from '../../workspace/index.ts';
import type { SandboxFile } from '../types.ts';

/** A tar archive of the files, owned by uid/gid, ready for putArchive. */
export function packFiles(files: SandboxFile[], uid: number): Readable {
  const pack = tar.pack();
  const dirs = new Set<string>();
  for (const f of files) {
    const problem = pathProblem(f.path);
    if (problem) throw new Error(`refusing to copy ${JSON.stringify(f.path)} into a sandbox: ${problem}`);
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!dirs.has(dir)) {
        dirs.add(dir);
        pack.entry({ name: `${dir}/`, type: 'directory', mode: 0o755, uid, gid: uid });
      }
    }
    pack.entry({ name: f.path, type: 'file', mode: 0o644, uid, gid: uid, size: f.content.length }, f.content);
  }
  pack.finalize();
  return pack as unknown as Readable;
}

/**
 * Reads regular files from a getArchive stream of `root` (its entries are prefixed with the root's
 * basename). Skips everything that is not a plain file with a valid path; stops at maxBytes.
 */
export async function unpackFiles(
  stream: NodeJS.ReadableStream,
  opts: { prefix: string; maxBytes: number; include?: (rel: string) => boolean },
): Promise<{ files: SandboxFile[]; skipped: string[]; truncated: boolean }> {
  const extract = tar.extract();
  const files: SandboxFile[] = [];
  const skipped: string[] = [];
  let total = 0;
  let truncated = false;
  extract.on('entry', (header, entry, next) => {
    const name = header.name.replace(/\/+$/, '');
    const rel =
      name === opts.prefix
        ? ''
        : name.startsWith(`${opts.prefix}/`)
          ? name.slice(opts.prefix.length + 1)
          : undefined;
    const drain = () => {
      entry.on('end', next);
      entry.resume();
    };
    if (header.type === 'directory' && rel !== undefined) return drain();
    if (header.type !== 'file' || rel === undefined || rel === '' || pathProblem(rel)) {
      skipped.push(name);
      return drain();
    }
    if (opts.include && !opts.include(rel)) return drain();
    if (total + (header.size ?? 0) > opts.maxBytes) {
      truncated = true;
      skipped.push(name);
      return drain();
    }
    const chunks: Buffer[] = [];
    entry.on('data', (c) => chunks.push(c as Buffer));
    entry.on('end', () => {
      const content = Buffer.concat(chunks);
      total += content.length;
      files.push({ path: rel, content });
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    stream.on('error', reject);
    stream.pipe(extract);
  });
  return { files, skipped, truncated };
}
