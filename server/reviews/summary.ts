/**
 * One candidate across every task of their invitation (an assessment, or its one task): per-task auto
 * score, review score and progress, the weighted overall, and one decision recorded for every attempt.
 * Admins only (it names the candidate next to scores; reviewers stay blind).
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { StaffUser } from '../auth/index.ts';
import { getVersion } from '../tasks/index.ts';
import { getAssessmentVersion, type AssessmentTask } from '../assessments/index.ts';
import { recordDecision } from './record-decision.ts';
import { attemptsOfInvitation } from '../attempts/index.ts';
import { weightedScore } from '../grading/index.ts';

export type SummaryTaskStatus = 'not_started' | 'started' | 'submitted' | 'graded' | 'not_attempted';

export interface InvitationSummary {
  invitationId: string;
  candidateName: string;
  candidateEmail: string;
  assessment: { title: string; slug: string; version: number } | null;
  tasks: Array<{
    position: number;
    title: string;
    taskSlug: string;
    weight: number;
    attemptId: string | null;
    status: SummaryTaskStatus;
    autoScore: { passed: number; total: number } | null;
    /** Mean weighted rubric score of the submitted reviews, 0..1. */
    reviewScore: number | null;
    /** The score counted in the overall: the review score, else the auto pass rate; 0 if not attempted. */
    score: number | null;
    reviews: { submitted: number; assigned: number };
  }>;
  /** Σ weight·score ÷ Σ weight over every task; null until every task has a score. */
  overall: { weightedScore: number | null };
  decision: { decision: 'advance' | 'reject' | 'hold'; reason: string; decidedAt: number } | null;
}

/** The candidate summary of an invitation (any kind: a single task is a one-row summary). */
export async function invitationSummary(
  ctx: ServiceContext,
  invitationId: string,
): Promise<InvitationSummary> {
  const inv = await ctx.db
    .selectFrom('invitations')
    .selectAll()
    .where('id', '=', invitationId)
    .where('purpose', '=', 'candidate')
    .executeTakeFirst();
  if (!inv) throw new AppError('not_found', 'invitation not found');
  const av = inv.assessment_version_id ? await getAssessmentVersion(ctx, inv.assessment_version_id) : null;
  let tasks: Array<Pick<AssessmentTask, 'position' | 'title' | 'taskSlug' | 'weight' | 'taskVersionId'>>;
  if (av) tasks = av.manifest.tasks;
  else {
    const v = await getVersion(ctx, inv.task_version_id);
    tasks = [{ position: 0, title: v.title, taskSlug: v.slug, weight: 1, taskVersionId: v.id }];
  }
  const attempts = await attemptsOfInvitation(ctx.db, invitationId);
  const ids = attempts.map((a) => a.id);
  const [grades, assignments, reviews, decisions] = ids.length
    ? await Promise.all([
        ctx.db
          .selectFrom('grades')
          .select(['attempt_id', 'status', 'passed', 'failed'])
          .where('attempt_id', 'in', ids)
          .where('superseded_at', 'is', null)
          .execute(),
        ctx.db
          .selectFrom('review_assignments')
          .select(['attempt_id'])
          .where('attempt_id', 'in', ids)
          .execute(),
        ctx.db
          .selectFrom('reviews')
          .select(['attempt_id', 'levels_json'])
          .where('attempt_id', 'in', ids)
          .where('status', '=', 'submitted')
          .execute(),
        ctx.db
          .selectFrom('decisions')
          .selectAll()
          .where('attempt_id', 'in', ids)
          .orderBy('decided_at')
          .execute(),
      ])
    : [[], [], [], []];
  const now = ctx.clock.now();
  const over =
    !av ||
    inv.assessment_submitted_at != null ||
    (av.manifest.clock === 'overall' &&
      inv.assessment_started_at != null &&
      now >= inv.assessment_started_at + av.manifest.timeLimitMinutes! * 60_000) ||
    (attempts.length >= tasks.length && attempts.every((a) => a.status !== 'started')) ||
    // The link's expiry ends an assessment unless its overall clock is running (the deadline does then).
    (inv.expires_at <= now && !(av.manifest.clock === 'overall' && inv.assessment_started_at != null));
  const rows: InvitationSummary['tasks'] = [];
  for (const t of tasks) {
    const a = attempts.find((x) => (x.position ?? 0) === t.position);
    const g = a && grades.find((x) => x.attempt_id === a.id);
    const autoScore =
      g && g.status === 'done' && (g.passed ?? 0) + (g.failed ?? 0) > 0
        ? { passed: g.passed ?? 0, total: (g.passed ?? 0) + (g.failed ?? 0) }
        : null;
    let reviewScore: number | null = null;
    const mine = a ? reviews.filter((r) => r.attempt_id === a.id) : [];
    if (a && mine.length) {
      const { manifest } = await getVersion(ctx, a.task_version_id);
      const scores = mine
        .map((r) => {
          const levels = JSON.parse(r.levels_json) as Record<string, { level: number }>;
          return weightedScore(
            manifest.rubric.criteria,
            Object.fromEntries(Object.entries(levels).map(([k, v]) => [k, v.level])),
          );
        })
        .filter((x): x is number => x !== null);
      if (scores.length) reviewScore = scores.reduce((s, x) => s + x, 0) / scores.length / 100;
    }
    const status: SummaryTaskStatus = !a
      ? over
        ? 'not_attempted'
        : 'not_started'
      : a.status === 'started'
        ? 'started'
        : a.status === 'graded'
          ? 'graded'
          : 'submitted';
    rows.push({
      position: t.position,
      title: t.title,
      taskSlug: t.taskSlug,
      weight: t.weight,
      attemptId: a?.id ?? null,
      status,
      autoScore,
      reviewScore,
      score:
        status === 'not_attempted'
          ? 0
          : (reviewScore ?? (autoScore ? autoScore.passed / autoScore.total : null)),
      reviews: {
        submitted: mine.length,
        assigned: a ? assignments.filter((x) => x.attempt_id === a.id).length : 0,
      },
    });
  }
  const totalWeight = rows.reduce((s, r) => s + r.weight, 0);
  const weighted = rows.every((r) => r.score !== null)
    ? rows.reduce((s, r) => s + r.weight * r.score!, 0) / totalWeight
    : null;
  const d = decisions[0];
  return {
    invitationId,
    candidateName: inv.candidate_name,
    candidateEmail: inv.candidate_email,
    assessment: av ? { title: av.title, slug: av.slug, version: av.version } : null,
    tasks: rows,
    overall: { weightedScore: weighted },
    decision: d ? { decision: d.decision, reason: d.reason, decidedAt: d.decided_at } : null,
  };
}

/**
 * One decision for the candidate, recorded on every attempt of the invitation (so pipeline filters,
 * `decision.made` webhooks and feedback work per task as for a single one). Refused while a task is
 * still open, while any attempt waits for an assigned review, or once a decision is recorded.
 */
export async function decideInvitation(
  ctx: ServiceContext,
  invitationId: string,
  admin: StaffUser,
  input: { decision: 'advance' | 'reject' | 'hold'; reason: string },
): Promise<InvitationSummary> {
  if (!input.reason.trim()) throw new AppError('validation_failed', 'reason: explain the decision');
  const before = await invitationSummary(ctx, invitationId);
  const attempted = before.tasks.filter((t) => t.attemptId !== null);
  if (!attempted.length)
    throw new AppError('conflict', 'nothing was submitted; there is nothing to decide on');
  if (before.tasks.some((t) => t.status === 'started' || t.status === 'not_started'))
    throw new AppError('conflict', 'the candidate is still working; decide once every task is submitted');
  if (before.decision) throw new AppError('conflict', 'a decision is already recorded for this candidate');
  for (const t of attempted)
    if (!t.reviews.assigned || t.reviews.submitted < t.reviews.assigned)
      throw new AppError(
        'conflict',
        `wait for every assigned review of task ${t.position + 1} (${t.title}): ${t.reviews.submitted} of ${t.reviews.assigned} submitted`,
      );
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    for (const t of attempted) await recordDecision(trx, t.attemptId!, admin, input, now);
  });
  return invitationSummary(ctx, invitationId);
}
