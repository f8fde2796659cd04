/**
 * The hiring funnel of one task, overall and per version: how many invitations reached each stage.
 * Counts are cumulative along invited → started → submitted → graded → decided (a decided candidate
 * also counts as started, submitted and graded), so every bar is "reached this stage" and the funnel
 * only narrows; expired and revoked are side exits of "invited" (counted there and in their own bar).
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';

export const FUNNEL_STAGES = [
  'invited',
  'started',
  'submitted',
  'graded',
  'decided',
  'expired',
  'revoked',
] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];
export type FunnelCounts = Record<FunnelStage, number>;

export interface Funnel {
  task: string;
  total: number;
  counts: FunnelCounts;
  versions: Array<{ version: number; total: number; counts: FunnelCounts }>;
}

/**
 * The one stage an invitation is in now (the stages partition the invitations): decided beats graded
 * (a finished grade) beats submitted; an unstarted one is revoked, expired or still invited.
 */
export function funnelStage(
  r: {
    revoked_at: number | null;
    expires_at: number;
    attempt_status: string | null;
    grade_status: string | null;
    decided: string | null;
  },
  now: number,
): FunnelStage {
  if (r.attempt_status === null) {
    if (r.revoked_at !== null) return 'revoked';
    return r.expires_at <= now ? 'expired' : 'invited';
  }
  if (r.decided !== null) return 'decided';
  if (r.grade_status === 'done') return 'graded';
  return r.attempt_status === 'started' ? 'started' : 'submitted';
}

/** The stages an invitation now in `stage` has reached (itself and every stage before it). */
export function reachedStages(stage: FunnelStage): FunnelStage[] {
  if (stage === 'expired' || stage === 'revoked') return ['invited', stage];
  const path: FunnelStage[] = ['invited', 'started', 'submitted', 'graded', 'decided'];
  return path.slice(0, path.indexOf(stage) + 1);
}

const zero = (): FunnelCounts => Object.fromEntries(FUNNEL_STAGES.map((s) => [s, 0])) as FunnelCounts;

export async function taskFunnel(ctx: ServiceContext, slug: string): Promise<Funnel> {
  const versions = await ctx.db
    .selectFrom('task_versions')
    .select('version')
    .where('slug', '=', slug)
    .orderBy('version')
    .execute();
  if (!versions.length) throw new AppError('not_found', `task ${slug} not found`);
  const rows = await ctx.db
    .selectFrom('invitations as i')
    .innerJoin('task_versions as v', 'v.id', 'i.task_version_id')
    // The attempt of this task: an assessment invitation has one per task, and pins its first task here.
    .leftJoin('attempts as a', (j) =>
      j.onRef('a.invitation_id', '=', 'i.id').onRef('a.task_version_id', '=', 'i.task_version_id'),
    )
    .leftJoin('grades as g', (j) => j.onRef('g.attempt_id', '=', 'a.id').on('g.superseded_at', 'is', null))
    .leftJoin('decisions as d', 'd.attempt_id', 'a.id')
    .select([
      'v.version',
      'i.revoked_at',
      'i.expires_at',
      'a.status as attempt_status',
      'g.status as grade_status',
      'd.attempt_id as decided',
    ])
    .where('v.slug', '=', slug)
    .where('i.purpose', '=', 'candidate')
    .execute();
  const now = ctx.clock.now();
  const counts = zero();
  const byVersion = new Map(
    versions.map((v) => [v.version, { version: v.version, total: 0, counts: zero() }]),
  );
  for (const r of rows) {
    const v = byVersion.get(r.version)!;
    v.total += 1;
    for (const stage of reachedStages(funnelStage(r, now))) {
      counts[stage] += 1;
      v.counts[stage] += 1;
    }
  }
  return { task: slug, total: rows.length, counts, versions: [...byVersion.values()] };
}
