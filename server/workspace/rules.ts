/** What every workspace verb checks and returns: path rules, stale revisions, the file facts. */
import { AppError } from '../errors/index.ts';
import { pathProblem } from './paths.ts';

export interface FileInfo {
  path: string;
  size: number;
  sha256: string;
  revision: number;
  updatedAt: number;
}

export const toInfo = (r: {
  path: string;
  size: number;
  sha256: string;
  revision: number;
  updated_at: number;
}): FileInfo => ({
  path: r.path,
  size: r.size,
  sha256: r.sha256,
  revision: r.revision,
  updatedAt: r.updated_at,
});

export function checkPath(p: string, field = 'path'): string {
  const problem = pathProblem(p);
  if (problem) throw new AppError('validation_failed', `${field}: ${problem}`);
  return p;
}

export function checkRevision(path: string, current: number | undefined, base: number | undefined) {
  if (base === undefined) return;
  if ((current ?? 0) !== base) {
    throw new AppError(
      'stale_revision',
      current === undefined
        ? `${path} no longer exists (expected revision ${base}); reload to see the latest workspace`
        : `${path} changed elsewhere (now revision ${current}, you edited revision ${base}); reload to merge`,
      { currentRevision: current ?? 0 },
    );
  }
}
