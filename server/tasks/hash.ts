/**
 * Content hashing for task packages. The hash identifies a task version: the
 * importer compares it to decide whether a task changed, so it must be the same
 * on every machine and change whenever any file's name or bytes change.
 */
import { sha256Hex } from '../blobs/index.ts';

export { sha256Hex };

/** Bumped if the hashing scheme ever changes, so old and new hashes never collide. */
const SCHEME = 'worksample-task-v1';

/**
 * SHA-256 over the files' `(path, sha256)` pairs, sorted by path with a plain
 * code-unit comparison (locale-independent). Paths must already be POSIX and
 * relative to the task folder. JSON encoding keeps the pairs unambiguous even
 * if a path contained a newline.
 */
export function computeContentHash(files: ReadonlyArray<{ path: string; sha256: string }>): string {
  const pairs = files
    .map((f) => [f.path, f.sha256] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sha256Hex(`${SCHEME}\n${JSON.stringify(pairs)}`);
}
