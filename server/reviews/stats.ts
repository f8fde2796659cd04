/**
 * Grading quality for a task: inter-rater agreement per criterion and for the overall
 * recommendation (weighted kappa when every submission has exactly two reviews, Krippendorff's
 * ordinal alpha otherwise; see server/grading/AGREEMENT.md), and each reviewer's calibration
 * against the others. Computed from submitted reviews only.
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { agreement, calibration } from '../grading/index.ts';
import type { ReviewLevels } from './index.ts';

export async function taskAgreement(ctx: ServiceContext, slug: string) {
  const rows = await ctx.db
    .selectFrom('reviews as r')
    .innerJoin('attempts as a', 'a.id', 'r.attempt_id')
    .innerJoin('task_versions as v', 'v.id', 'a.task_version_id')
    .innerJoin('users as u', 'u.id', 'r.reviewer_id')
    .select([
      'r.attempt_id',
      'r.reviewer_id',
      'u.name',
      'r.levels_json',
      'r.recommendation',
      'v.manifest_json',
      'v.version',
    ])
    .where('v.slug', '=', slug)
    .where('r.status', '=', 'submitted')
    .execute();
  const versions = await ctx.db
    .selectFrom('task_versions')
    .select(['manifest_json', 'version'])
    .where('slug', '=', slug)
    .orderBy('version', 'desc')
    .execute();
  if (!versions.length) throw new AppError('not_found', `task ${slug} not found`);
  const criteria = (
    JSON.parse(versions[0]!.manifest_json) as { rubric: { criteria: Array<{ id: string; title: string }> } }
  ).rubric.criteria;
  const attempts = [...new Set(rows.map((r) => r.attempt_id))];
  // units × ratings for one measure: each submission's levels, in review order.
  const unitsFor = (pick: (r: (typeof rows)[number]) => number | null) =>
    attempts.map((id) => rows.filter((r) => r.attempt_id === id).map(pick));
  const levelOf = (r: (typeof rows)[number], criterion: string) =>
    (JSON.parse(r.levels_json) as ReviewLevels)[criterion]?.level ?? null;
  const ratings = rows.flatMap((r) =>
    Object.entries(JSON.parse(r.levels_json) as ReviewLevels).map(([criterion, v]) => ({
      unit: r.attempt_id,
      criterion,
      reviewer: r.reviewer_id,
      level: v.level,
    })),
  );
  const names = new Map(rows.map((r) => [r.reviewer_id, r.name]));
  return {
    task: slug,
    submissions: attempts.length,
    reviews: rows.length,
    criteria: criteria.map((c) => ({
      id: c.id,
      title: c.title,
      ...agreement(unitsFor((r) => levelOf(r, c.id))),
    })),
    recommendation: agreement(unitsFor((r) => r.recommendation)),
    calibration: calibration(ratings).map((c) => ({ ...c, name: names.get(c.reviewer) ?? c.reviewer })),
  };
}
