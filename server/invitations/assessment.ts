/**
 * The candidate's way through an assessment: Start (the overall clock, or "intro read"), moving
 * between tasks (the position lives on the candidate's session), and Submit all.
 * Stops a candidate from working outside the rules: every verb acts only on the invitation the
 * session is bound to, positions are checked against the pinned version, and nothing starts after
 * Submit all or the overall deadline (the attempts' own deadlines then close them).
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { attemptsOfInvitation, startAttempt, submitAttempt, type Attempt } from '../attempts/index.ts';
import { assessmentOver, getAssessmentVersion, type AssessmentVersion } from '../assessments/index.ts';
import type { InvitationsTable } from '../db/index.ts';

async function load(ctx: ServiceContext, invitationId: string) {
  const inv = await ctx.db
    .selectFrom('invitations')
    .selectAll()
    .where('id', '=', invitationId)
    .executeTakeFirst();
  if (!inv) throw new AppError('not_found', 'invitation not found');
  if (!inv.assessment_version_id)
    throw new AppError('bad_request', 'this invitation is for one task, not an assessment');
  const av = await getAssessmentVersion(ctx, inv.assessment_version_id);
  const attempts = await attemptsOfInvitation(ctx.db, invitationId);
  return { inv, av, attempts };
}

function refuseIfOver(
  ctx: ServiceContext,
  s: { inv: InvitationsTable; av: AssessmentVersion; attempts: Attempt[] },
) {
  if (assessmentOver(s.inv, s.av.manifest, s.attempts, ctx.clock.now()))
    throw new AppError('conflict', 'this assessment is over; nothing more can be started or changed');
}

/**
 * Start on the intro page (idempotent). Overall clock: the clock starts now. Per-task: records that
 * the intro was read (each task's clock starts with that task).
 */
export async function startAssessment(ctx: ServiceContext, invitationId: string): Promise<void> {
  const s = await load(ctx, invitationId);
  if (s.inv.assessment_started_at != null) return;
  if (s.inv.revoked_at !== null)
    throw new AppError('invitation_revoked', 'this invitation was withdrawn; contact the hiring team');
  const now = ctx.clock.now();
  if (s.inv.expires_at <= now)
    throw new AppError(
      'invitation_expired',
      'this invitation expired before it was started; ask the hiring team for a new link',
    );
  if (s.inv.assessment_submitted_at != null) return;
  await ctx.db
    .updateTable('invitations')
    .set({ assessment_started_at: now })
    .where('id', '=', invitationId)
    .where('assessment_started_at', 'is', null)
    .execute();
}

/**
 * Moves the session to task `position` (null: the overview). Overall clock: opening a task starts its
 * attempt, with the assessment's deadline. Per-task: the task's own Start (startCurrentTask) does.
 */
export async function selectTask(
  ctx: ServiceContext,
  session: { id_hash: string },
  invitationId: string,
  position: number | null,
): Promise<void> {
  const s = await load(ctx, invitationId);
  if (position !== null) {
    const n = s.av.manifest.tasks.length;
    if (!Number.isInteger(position) || position < 0 || position >= n)
      throw new AppError(
        'validation_failed',
        `position: expected a task position from 0 to ${n - 1}, or null`,
      );
    refuseIfOver(ctx, s);
    if (s.av.manifest.clock === 'overall') {
      if (s.inv.assessment_started_at == null)
        throw new AppError('conflict', 'the assessment has not been started; press Start on its first page');
      await startAttempt(ctx, invitationId, position);
    }
  }
  await ctx.db
    .updateTable('sessions')
    .set({ assessment_position: position })
    .where('id_hash', '=', session.id_hash)
    .where('invitation_id', '=', invitationId)
    .execute();
}

/** `POST /api/candidate/start` on an assessment: starts the session's current task (the first on the overview). */
export async function startCurrentTask(
  ctx: ServiceContext,
  session: { id_hash: string; assessment_position?: number | null },
  invitationId: string,
): Promise<Attempt> {
  const s = await load(ctx, invitationId);
  const position = session.assessment_position ?? 0;
  const existing = s.attempts.find((a) => (a.position ?? 0) === position);
  if (existing) return existing;
  refuseIfOver(ctx, s);
  if (s.av.manifest.clock === 'overall' && s.inv.assessment_started_at == null)
    await startAssessment(ctx, invitationId);
  const attempt = await startAttempt(ctx, invitationId, position);
  if (session.assessment_position == null)
    await ctx.db
      .updateTable('sessions')
      .set({ assessment_position: position })
      .where('id_hash', '=', session.id_hash)
      .execute();
  return attempt;
}

/**
 * Submit all: every started, unsubmitted task attempt is submitted as the candidate's (nothing new is
 * saved), tasks never opened become not attempted, and nothing more can be started. Idempotent.
 */
export async function submitAssessment(ctx: ServiceContext, invitationId: string): Promise<void> {
  await load(ctx, invitationId);
  // Marked first: a task start racing with this sees it and refuses; then every open attempt closes.
  await ctx.db
    .updateTable('invitations')
    .set({ assessment_submitted_at: ctx.clock.now() })
    .where('id', '=', invitationId)
    .where('assessment_submitted_at', 'is', null)
    .execute();
  const { attempts } = await load(ctx, invitationId);
  for (const a of attempts) if (a.status === 'started') await submitAttempt(ctx, a.id, 'candidate');
}
