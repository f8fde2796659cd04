/**
 * Importing an assessment folder creates an immutable assessment version keyed by its content hash
 * (the YAML plus the task versions it pinned): re-importing the same thing is a no-op; an edit, or a
 * new version of one of its tasks, makes the next version. Invitations pin a version.
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { AssessmentVersionsTable, TaskVersionsTable } from '../db/index.ts';
import type { TaskManifest } from '../tasks/index.ts';
import { assessmentHash, loadAssessmentDir, type AssessmentTask, type StoredAssessment } from './load.ts';

export interface AssessmentVersionSummary {
  assessmentVersionId: string;
  slug: string;
  version: number;
  contentHash: string;
  title: string;
  clock: StoredAssessment['clock'];
  timeLimitMinutes: number | null;
  createdAt: number;
  tasks: Array<{
    position: number;
    taskSlug: string;
    title: string;
    kind: AssessmentTask['kind'];
    weight: number;
    timeLimitMinutes: number;
  }>;
}

export type AssessmentVersion = AssessmentVersionsTable & { manifest: StoredAssessment };

export function toAssessmentSummary(v: AssessmentVersionsTable): AssessmentVersionSummary {
  const m = JSON.parse(v.manifest_json) as StoredAssessment;
  return {
    assessmentVersionId: v.id,
    slug: v.slug,
    version: v.version,
    contentHash: v.content_hash,
    title: v.title,
    clock: m.clock,
    timeLimitMinutes: m.timeLimitMinutes,
    createdAt: v.created_at,
    tasks: m.tasks.map((t) => ({
      position: t.position,
      taskSlug: t.taskSlug,
      title: t.title,
      kind: t.kind,
      weight: t.weight,
      timeLimitMinutes: t.timeLimitMinutes,
    })),
  };
}

/** Imports `dir` (its tasks must be imported already: each pins its task's newest version). */
export async function importAssessment(
  ctx: ServiceContext,
  dir: string,
  importedBy: string | null = null,
): Promise<{ status: 'created' | 'unchanged'; version: AssessmentVersionSummary }> {
  const loaded = await loadAssessmentDir(dir);
  if (!loaded.ok)
    throw new AppError('validation_failed', loaded.errors.join('\n'), { errors: loaded.errors });
  const { slug, manifest, text, file } = loaded.assessment;
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const errors: string[] = [];
    const tasks: AssessmentTask[] = [];
    for (const [i, t] of manifest.tasks.entries()) {
      const v: TaskVersionsTable | undefined = await trx
        .selectFrom('task_versions')
        .selectAll()
        .where('slug', '=', t.task)
        .orderBy('version', 'desc')
        .executeTakeFirst();
      if (!v) {
        errors.push(
          `${file}: tasks[${i}].task: unknown task ${t.task}; import it first: worksample tasks import tasks/${t.task}`,
        );
        continue;
      }
      const tm = JSON.parse(v.manifest_json) as TaskManifest;
      tasks.push({
        position: i,
        taskSlug: v.slug,
        taskVersionId: v.id,
        taskVersion: v.version,
        title: v.title,
        summary: tm.summary,
        kind: v.kind,
        timeLimitMinutes: tm.timeLimitMinutes,
        weight: t.weight,
      });
    }
    if (errors.length) throw new AppError('validation_failed', errors.join('\n'), { errors });
    const stored: StoredAssessment = {
      title: manifest.title,
      intro: manifest.intro,
      clock: manifest.clock,
      timeLimitMinutes: manifest.clock === 'overall' ? manifest.timeLimitMinutes! : null,
      tasks,
    };
    const contentHash = assessmentHash(text, tasks);
    let a = await trx.selectFrom('assessments').selectAll().where('slug', '=', slug).executeTakeFirst();
    if (!a) {
      a = { id: ctx.ids.id('asm'), slug, created_at: now };
      await trx.insertInto('assessments').values(a).execute();
    }
    const same = await trx
      .selectFrom('assessment_versions')
      .selectAll()
      .where('assessment_id', '=', a.id)
      .where('content_hash', '=', contentHash)
      .executeTakeFirst();
    if (same) return { status: 'unchanged' as const, version: toAssessmentSummary(same) };
    const last = await trx
      .selectFrom('assessment_versions')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('assessment_id', '=', a.id)
      .executeTakeFirst();
    const row: AssessmentVersionsTable = {
      id: ctx.ids.id('asv'),
      assessment_id: a.id,
      slug,
      version: Number(last?.v ?? 0) + 1,
      content_hash: contentHash,
      title: manifest.title,
      manifest_json: JSON.stringify(stored),
      created_at: now,
      imported_by: importedBy,
    };
    await trx.insertInto('assessment_versions').values(row).execute();
    return { status: 'created' as const, version: toAssessmentSummary(row) };
  });
}

/** The newest version of every assessment, by slug. */
export async function listAssessments(ctx: ServiceContext): Promise<AssessmentVersionSummary[]> {
  const rows = await ctx.db
    .selectFrom('assessment_versions')
    .selectAll()
    .orderBy('slug')
    .orderBy('version', 'desc')
    .execute();
  const latest = new Map<string, AssessmentVersionSummary>();
  for (const r of rows) if (!latest.has(r.slug)) latest.set(r.slug, toAssessmentSummary(r));
  return [...latest.values()];
}

/** The version an invitation should pin: a specific one, or the newest. */
export async function resolveAssessmentVersion(
  ctx: ServiceContext,
  slug: string,
  version?: number,
): Promise<AssessmentVersion> {
  let q = ctx.db.selectFrom('assessment_versions').selectAll().where('slug', '=', slug);
  q = version === undefined ? q.orderBy('version', 'desc') : q.where('version', '=', version);
  const row = await q.executeTakeFirst();
  if (!row)
    throw new AppError(
      'not_found',
      version === undefined
        ? `assessment ${slug} not found; import it with: worksample assessments import assessments/${slug}`
        : `assessment ${slug} has no version ${version}`,
    );
  return { ...row, manifest: JSON.parse(row.manifest_json) as StoredAssessment };
}

export async function getAssessmentVersion(ctx: ServiceContext, id: string): Promise<AssessmentVersion> {
  const row = await ctx.db
    .selectFrom('assessment_versions')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'assessment version not found');
  return { ...row, manifest: JSON.parse(row.manifest_json) as StoredAssessment };
}
