/** Reading a task version's stored files: the one place that joins task_version_files to blobs. */
import type { ServiceContext } from '../platform/index.ts';
import { getBlob } from '../blobs/index.ts';
import type { TaskFileRole } from './load.ts';

export interface VersionFile {
  path: string;
  role: string;
  sha256: string;
  size: number;
  content: Buffer;
}

/** Files of a task version, ordered by path; narrowed to one role, one path or one content hash. */
export async function versionFiles(
  ctx: ServiceContext,
  versionId: string,
  where: { role?: TaskFileRole; path?: string; sha256?: string } = {},
): Promise<VersionFile[]> {
  let q = ctx.db
    .selectFrom('task_version_files')
    .select(['path', 'role', 'sha256', 'size'])
    .where('task_version_id', '=', versionId);
  if (where.role) q = q.where('role', '=', where.role);
  if (where.path) q = q.where('path', '=', where.path);
  if (where.sha256) q = q.where('sha256', '=', where.sha256);
  const rows = await q.orderBy('path').execute();
  const out: VersionFile[] = [];
  for (const r of rows) out.push({ ...r, content: (await getBlob(ctx.db, r.sha256)) ?? Buffer.alloc(0) });
  return out;
}

/** One file of a task version as UTF-8 text, or undefined when the package has no such file. */
export async function versionFileText(
  ctx: ServiceContext,
  versionId: string,
  path: string,
): Promise<string | undefined> {
  const [file] = await versionFiles(ctx, versionId, { path });
  return file?.content.toString('utf8');
}
