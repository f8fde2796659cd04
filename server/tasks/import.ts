/**
 * Importing a task folder creates an immutable task version keyed by its content hash.
 * Re-importing unchanged content is a no-op; changed content gets the next version number.
 * Attempts pin a version, so past attempts never change.
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { putBlob } from '../blobs/index.ts';
import type { TaskVersionsTable } from '../db/index.ts';
import { loadTaskDir } from './load.ts';
import type { TaskManifest } from './manifest.ts';

export interface TaskVersionSummary {
  id: string;
  slug: string;
  version: number;
  contentHash: string;
  title: string;
  kind: TaskVersionsTable['kind'];
  createdAt: number;
  /** What the deployment must provide for candidates to do the task (see /api/ready capabilities). */
  needs: 'nothing' | 'codeTasks' | 'llmTasks';
}

function needsOf(v: TaskVersionsTable): TaskVersionSummary['needs'] {
  if (v.kind !== 'code') return 'nothing';
  const manifest = JSON.parse(v.manifest_json) as { llm?: { enabled?: boolean } };
  return manifest.llm?.enabled ? 'llmTasks' : 'codeTasks';
}

export const toSummary = (v: TaskVersionsTable): TaskVersionSummary => ({
  id: v.id,
  slug: v.slug,
  version: v.version,
  contentHash: v.content_hash,
  title: v.title,
  kind: v.kind,
  createdAt: v.created_at,
  needs: needsOf(v),
});

export async function importTask(
  ctx: ServiceContext,
  dir: string,
  importedBy: string | null = null,
): Promise<{ status: 'created' | 'unchanged'; version: TaskVersionSummary }> {
  const loaded = await loadTaskDir(dir);
  if (!loaded.ok)
    throw new AppError('validation_failed', loaded.errors.join('\n'), { errors: loaded.errors });
  const { manifest, files, contentHash, statement } = loaded.task;
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    let task = await trx.selectFrom('tasks').selectAll().where('slug', '=', manifest.slug).executeTakeFirst();
    if (!task) {
      task = { id: ctx.ids.id('tsk'), slug: manifest.slug, created_at: now };
      await trx.insertInto('tasks').values(task).execute();
    }
    const same = await trx
      .selectFrom('task_versions')
      .selectAll()
      .where('task_id', '=', task.id)
      .where('content_hash', '=', contentHash)
      .executeTakeFirst();
    if (same) return { status: 'unchanged' as const, version: toSummary(same) };
    const last = await trx
      .selectFrom('task_versions')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('task_id', '=', task.id)
      .executeTakeFirst();
    const row: TaskVersionsTable = {
      id: ctx.ids.id('tv'),
      task_id: task.id,
      slug: manifest.slug,
      version: Number(last?.v ?? 0) + 1,
      content_hash: contentHash,
      title: manifest.title,
      kind: manifest.kind,
      manifest_json: JSON.stringify(manifest),
      statement_md: statement,
      created_at: now,
      imported_by: importedBy,
    };
    await trx.insertInto('task_versions').values(row).execute();
    for (const f of files) {
      const sha256 = await putBlob(trx, f.content, now);
      await trx
        .insertInto('task_version_files')
        .values({ task_version_id: row.id, path: f.path, role: f.role, sha256, size: f.content.byteLength })
        .execute();
    }
    return { status: 'created' as const, version: toSummary(row) };
  });
}

export async function listTasks(
  ctx: ServiceContext,
): Promise<Array<TaskVersionSummary & { versions: number }>> {
  const rows = await ctx.db
    .selectFrom('task_versions')
    .selectAll()
    .orderBy('slug')
    .orderBy('version', 'desc')
    .execute();
  const latest = new Map<string, TaskVersionSummary & { versions: number }>();
  for (const r of rows) {
    const seen = latest.get(r.slug);
    if (seen) seen.versions++;
    else latest.set(r.slug, { ...toSummary(r), versions: 1 });
  }
  return [...latest.values()];
}

export async function listVersions(ctx: ServiceContext, slug: string): Promise<TaskVersionSummary[]> {
  const rows = await ctx.db
    .selectFrom('task_versions')
    .selectAll()
    .where('slug', '=', slug)
    .orderBy('version', 'desc')
    .execute();
  if (!rows.length)
    throw new AppError(
      'not_found',
      `task ${slug} not found; import it with: worksample tasks import tasks/${slug}`,
    );
  return rows.map(toSummary);
}

/** The version an invitation should pin: a specific one, or the newest. */
export async function resolveVersion(
  ctx: ServiceContext,
  slug: string,
  version?: number,
): Promise<TaskVersionsTable> {
  let q = ctx.db.selectFrom('task_versions').selectAll().where('slug', '=', slug);
  q = version === undefined ? q.orderBy('version', 'desc') : q.where('version', '=', version);
  const row = await q.executeTakeFirst();
  if (!row) {
    throw new AppError(
      'not_found',
      version === undefined
        ? `task ${slug} not found; import it with: worksample tasks import tasks/${slug}`
        : `task ${slug} has no version ${version}`,
    );
  }
  return row;
}

export async function getVersion(
  ctx: ServiceContext,
  id: string,
): Promise<TaskVersionsTable & { manifest: TaskManifest }> {
  const row = await ctx.db.selectFrom('task_versions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('not_found', 'task version not found');
  return { ...row, manifest: JSON.parse(row.manifest_json) as TaskManifest };
}
