/**
 * Structured, blind, independent review. Stops three biases: reviewers see a code name, never the
 * candidate's name or email, until an admin records the decision (and the reveal is recorded);
 * a reviewer cannot read other reviews of a submission before submitting their own; a submitted
 * review is final. Reviewers reach only the submissions assigned to them.
 */
import { z } from 'zod';
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { StaffUser } from '../auth/index.ts';
import type { ReviewsTable } from '../db/index.ts';
import { getVersion } from '../tasks/index.ts';
import { recordEvent } from '../attempts/index.ts';
import { disagreements, weightedScore } from '../grading/index.ts';
import { attemptOrThrow, codeName } from './assign.ts';
import { recordDecision } from './record-decision.ts';

export { assignReviewers, codeName, queue, REVIEW_DUE_MS } from './assign.ts';
export {
  answerKeyProblems,
  compareWithKey,
  locateKey,
  parseAnswerKey,
  parseCandidateAnnotations,
  type AnswerKey,
  type Comparison,
} from './answer-key.ts';
export { answerKeyComparison } from './key-comparison.ts';

export interface ReviewLevels {
  [criterionId: string]: { level: number; evidence: string; shareable?: boolean };
}

export const reviewInputSchema = z.object({
  levels: z.record(
    z.string(),
    z.object({
      level: z.number().int().min(1).max(4),
      evidence: z.string().max(10_000),
      /** The reviewer agrees this evidence may go into the candidate's feedback report. */
      shareable: z.boolean().optional(),
    }),
  ),
  recommendation: z.number().int().min(1).max(4).nullable().optional(),
  notes: z.string().max(20_000).optional(),
});
export type ReviewInput = z.infer<typeof reviewInputSchema>;

export interface ReviewView {
  reviewer: { id: string; name: string };
  status: ReviewsTable['status'];
  levels: ReviewLevels;
  recommendation: number | null;
  /** Private notes: only for their author and admins. */
  notes?: string;
  score: number | null;
  submittedAt: number | null;
}

async function assignedOrAdmin(ctx: ServiceContext, attemptId: string, user: StaffUser) {
  if (user.role === 'admin') return;
  const row = await ctx.db
    .selectFrom('review_assignments')
    .select('attempt_id')
    .where('attempt_id', '=', attemptId)
    .where('reviewer_id', '=', user.id)
    .executeTakeFirst();
  if (row) return;
  // A reviewer learns nothing about submissions outside their queue: the same 404 as a missing one.
  if (user.role === 'reviewer') throw new AppError('not_found', 'attempt not found');
  throw new AppError('forbidden', 'you are not assigned to review this submission');
}

function toView(
  r: ReviewsTable & { name: string },
  criteria: Array<{ id: string; weight: number }>,
  withNotes: boolean,
): ReviewView {
  const levels = JSON.parse(r.levels_json) as ReviewLevels;
  return {
    reviewer: { id: r.reviewer_id, name: r.name },
    status: r.status,
    levels,
    recommendation: r.recommendation,
    ...(withNotes ? { notes: r.notes } : {}),
    score: weightedScore(criteria, Object.fromEntries(Object.entries(levels).map(([k, v]) => [k, v.level]))),
    submittedAt: r.submitted_at,
  };
}

async function reviewsOf(ctx: ServiceContext, attemptId: string) {
  return ctx.db
    .selectFrom('reviews')
    .innerJoin('users', 'users.id', 'reviews.reviewer_id')
    .selectAll('reviews')
    .select('users.name')
    .where('attempt_id', '=', attemptId)
    .orderBy('reviews.submitted_at')
    .execute();
}

/** The reviewer's page: code name, task and rubric (pinned version), auto score, own review, progress. */
export async function reviewPage(ctx: ServiceContext, attemptId: string, user: StaffUser) {
  await assignedOrAdmin(ctx, attemptId, user);
  const a = await attemptOrThrow(ctx, attemptId);
  const version = await getVersion(ctx, a.task_version_id);
  const criteria = version.manifest.rubric.criteria;
  const all = await reviewsOf(ctx, attemptId);
  const mine = all.find((r) => r.reviewer_id === user.id);
  const assigned = await ctx.db
    .selectFrom('review_assignments')
    .innerJoin('users', 'users.id', 'review_assignments.reviewer_id')
    .select(['reviewer_id', 'users.name', 'due_at'])
    .where('attempt_id', '=', attemptId)
    .execute();
  const grade = await ctx.db
    .selectFrom('grades')
    .select(['status', 'verdict', 'passed', 'failed'])
    .where('attempt_id', '=', attemptId)
    .where('superseded_at', 'is', null)
    .executeTakeFirst();
  const decision = await ctx.db
    .selectFrom('decisions')
    .selectAll()
    .where('attempt_id', '=', attemptId)
    .executeTakeFirst();
  return {
    attemptId,
    codeName: codeName(attemptId),
    note: 'Workspace content is shown as written: it may contain self-identifying text.',
    task: { slug: version.slug, version: version.version, title: version.title, kind: version.kind },
    rubric: criteria,
    autoScore: grade
      ? {
          status: grade.status,
          verdict: grade.verdict,
          passed: grade.passed,
          failed: grade.failed,
          percent:
            grade.passed + grade.failed
              ? Math.round((100 * grade.passed) / (grade.passed + grade.failed))
              : null,
        }
      : null,
    submittedAt: a.submitted_at,
    submittedBy: a.submit_reason,
    myReview: mine ? toView(mine, criteria, true) : null,
    progress: { assigned: assigned.length, submitted: all.filter((r) => r.status === 'submitted').length },
    // Who reviews it is for admins (they assign); reviewers see only counts.
    ...(user.role === 'admin'
      ? {
          assignees: assigned.map((r) => ({
            id: r.reviewer_id,
            name: r.name,
            dueAt: r.due_at,
            status: all.find((x) => x.reviewer_id === r.reviewer_id)?.status ?? 'to do',
          })),
        }
      : {}),
    decided: Boolean(decision),
  };
}

/** Saves the reviewer's draft. A submitted review is final. */
export async function saveDraft(ctx: ServiceContext, attemptId: string, user: StaffUser, input: ReviewInput) {
  await assignedOrAdmin(ctx, attemptId, user);
  const a = await attemptOrThrow(ctx, attemptId);
  const { manifest } = await getVersion(ctx, a.task_version_id);
  const known = new Set(manifest.rubric.criteria.map((c) => c.id));
  const unknown = Object.keys(input.levels).filter((k) => !known.has(k));
  if (unknown.length)
    throw new AppError(
      'validation_failed',
      `levels: unknown criteria ${unknown.join(', ')}; this rubric has ${[...known].join(', ')}`,
    );
  const existing = await ctx.db
    .selectFrom('reviews')
    .selectAll()
    .where('attempt_id', '=', attemptId)
    .where('reviewer_id', '=', user.id)
    .executeTakeFirst();
  if (existing?.status === 'submitted')
    throw new AppError('conflict', 'your review is already submitted and can no longer change');
  const row = {
    attempt_id: attemptId,
    reviewer_id: user.id,
    status: 'draft' as const,
    levels_json: JSON.stringify(input.levels),
    recommendation: input.recommendation ?? null,
    notes: input.notes ?? '',
    updated_at: ctx.clock.now(),
    submitted_at: null,
  };
  if (existing)
    await ctx.db
      .updateTable('reviews')
      .set(row)
      .where('attempt_id', '=', attemptId)
      .where('reviewer_id', '=', user.id)
      .execute();
  else await ctx.db.insertInto('reviews').values(row).execute();
  return reviewPage(ctx, attemptId, user);
}

/** Submits the draft: every criterion needs a level and written evidence, plus a recommendation. */
export async function submitReview(ctx: ServiceContext, attemptId: string, user: StaffUser) {
  await assignedOrAdmin(ctx, attemptId, user);
  const a = await attemptOrThrow(ctx, attemptId);
  const { manifest } = await getVersion(ctx, a.task_version_id);
  const r = await ctx.db
    .selectFrom('reviews')
    .selectAll()
    .where('attempt_id', '=', attemptId)
    .where('reviewer_id', '=', user.id)
    .executeTakeFirst();
  if (!r) throw new AppError('validation_failed', 'save a draft with your levels and evidence first');
  if (r.status === 'submitted') return reviewPage(ctx, attemptId, user);
  const levels = JSON.parse(r.levels_json) as ReviewLevels;
  const problems: string[] = [];
  for (const c of manifest.rubric.criteria) {
    if (!levels[c.id]) problems.push(`${c.id}: pick a level`);
    else if (!levels[c.id]!.evidence.trim()) problems.push(`${c.id}: write the evidence for your level`);
  }
  if (r.recommendation === null) problems.push('recommendation: pick one (strong no … strong yes)');
  if (problems.length)
    throw new AppError('validation_failed', `the review is incomplete: ${problems.join('; ')}`, { problems });
  const now = ctx.clock.now();
  await ctx.db
    .updateTable('reviews')
    .set({ status: 'submitted', submitted_at: now, updated_at: now })
    .where('attempt_id', '=', attemptId)
    .where('reviewer_id', '=', user.id)
    .execute();
  await recordEvent(ctx.db, { attemptId, at: now, type: 'review.submitted', payload: {} });
  return reviewPage(ctx, attemptId, user);
}

/**
 * All reviews side by side, with disagreements flagged. A reviewer sees them only after submitting
 * their own (independence); admins always. Private notes stay with their author (and admins).
 */
export async function consolidated(ctx: ServiceContext, attemptId: string, user: StaffUser) {
  await assignedOrAdmin(ctx, attemptId, user);
  const a = await attemptOrThrow(ctx, attemptId);
  const all = await reviewsOf(ctx, attemptId);
  if (user.role !== 'admin' && all.find((r) => r.reviewer_id === user.id)?.status !== 'submitted') {
    throw new AppError('forbidden', 'submit your own review first; other reviews stay hidden until then');
  }
  const { manifest } = await getVersion(ctx, a.task_version_id);
  const submitted = all.filter((r) => r.status === 'submitted');
  const views = submitted.map((r) =>
    toView(r, manifest.rubric.criteria, user.role === 'admin' || r.reviewer_id === user.id),
  );
  const byReviewer = Object.fromEntries(
    views.map((v) => [
      v.reviewer.id,
      Object.fromEntries(Object.entries(v.levels).map(([k, x]) => [k, x.level])),
    ]),
  );
  const decision = await ctx.db
    .selectFrom('decisions')
    .selectAll()
    .where('attempt_id', '=', attemptId)
    .executeTakeFirst();
  return {
    codeName: codeName(attemptId),
    reviews: views,
    disagreements: disagreements(byReviewer),
    decision: decision
      ? { decision: decision.decision, reason: decision.reason, decidedAt: decision.decided_at }
      : null,
  };
}

/** Records the final decision (admin) once every assigned review is in; reveals the identity. */
export async function decide(
  ctx: ServiceContext,
  attemptId: string,
  admin: StaffUser,
  input: { decision: 'advance' | 'reject' | 'hold'; reason: string },
) {
  const a = await attemptOrThrow(ctx, attemptId);
  if (!input.reason.trim()) throw new AppError('validation_failed', 'reason: explain the decision');
  const inv = await ctx.db
    .selectFrom('invitations')
    .select('assessment_version_id')
    .where('id', '=', a.invitation_id)
    .executeTakeFirst();
  // One decision per candidate of an assessment, taken on their summary for every task at once.
  if (inv?.assessment_version_id)
    throw new AppError(
      'conflict',
      `this submission is one task of an assessment: decide on the candidate's summary (/admin/invitations/${a.invitation_id})`,
    );
  const assigned = await ctx.db
    .selectFrom('review_assignments')
    .select('reviewer_id')
    .where('attempt_id', '=', attemptId)
    .execute();
  const submitted = (await reviewsOf(ctx, attemptId)).filter((r) => r.status === 'submitted');
  if (!assigned.length || submitted.length < assigned.length) {
    throw new AppError(
      'conflict',
      `wait for every assigned review: ${submitted.length} of ${assigned.length} submitted`,
    );
  }
  const existing = await ctx.db
    .selectFrom('decisions')
    .select('attempt_id')
    .where('attempt_id', '=', attemptId)
    .executeTakeFirst();
  if (existing) throw new AppError('conflict', 'a decision is already recorded for this submission');
  const now = ctx.clock.now();
  await ctx.db.transaction().execute((trx) => recordDecision(trx, attemptId, admin, input, now));
  return identity(ctx, attemptId, admin);
}

/** The candidate's identity: only once a decision is recorded; every reveal is recorded. */
export async function identity(ctx: ServiceContext, attemptId: string, user: StaffUser) {
  await assignedOrAdmin(ctx, attemptId, user);
  const decision = await ctx.db
    .selectFrom('decisions')
    .select('attempt_id')
    .where('attempt_id', '=', attemptId)
    .executeTakeFirst();
  if (!decision)
    throw new AppError('forbidden', 'identities stay hidden until the final decision is recorded');
  const row = await ctx.db
    .selectFrom('attempts as a')
    .innerJoin('invitations as i', 'i.id', 'a.invitation_id')
    .select(['i.candidate_name', 'i.candidate_email'])
    .where('a.id', '=', attemptId)
    .executeTakeFirstOrThrow();
  await recordEvent(ctx.db, {
    attemptId,
    at: ctx.clock.now(),
    type: 'identity.revealed',
    payload: { to: user.id },
  });
  return { codeName: codeName(attemptId), name: row.candidate_name, email: row.candidate_email };
}
export { taskAgreement } from './stats.ts';
export { feedbackReport, sendFeedbackEmail, sendInvitationFeedbackEmail } from './feedback.ts';
export { invitationSummary, decideInvitation, type InvitationSummary } from './summary.ts';
