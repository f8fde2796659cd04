/**
 * Attempt lifecycle, with the server's clock as the only authority on time:
 * invited → started (deadline = start + time limit) → submitted (by the candidate, or automatically
 * once deadline + grace has passed, also for deadlines that passed while the server was down).
 * Access rule (security boundary): a candidate reaches only the attempt of their own invitation;
 * staff with admin/author roles may read any attempt; nobody else reaches one.
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { Db } from '../db/index.ts';
import type { AttemptsTable } from '../db/index.ts';
import type { Principal } from '../auth/index.ts';
import { getVersion } from '../tasks/index.ts';
import { getAssessmentVersion } from '../assessments/index.ts';

export type Attempt = AttemptsTable;

export interface AttemptView {
  id: string;
  status: Attempt['status'];
  taskVersionId: string;
  startedAt: number;
  deadlineAt: number;
  submittedAt: number | null;
  submitReason: Attempt['submit_reason'];
  /** True while the candidate may still change the workspace. */
  writable: boolean;
  serverNow: number;
  /** The task's place in its assessment (0 for a single-task invitation). */
  position: number;
}

export function viewAttempt(ctx: ServiceContext, a: Attempt): AttemptView {
  const now = ctx.clock.now();
  return {
    id: a.id,
    status: a.status,
    taskVersionId: a.task_version_id,
    startedAt: a.started_at,
    deadlineAt: a.deadline_at,
    submittedAt: a.submitted_at,
    submitReason: a.submit_reason,
    writable: a.status === 'started' && now <= a.deadline_at + ctx.config.submitGraceMs,
    serverNow: now,
    position: a.position ?? 0,
  };
}

export async function recordEvent(
  db: Db,
  e: {
    attemptId: string;
    at: number;
    type: string;
    path?: string | null;
    sha256?: string | null;
    revision?: number | null;
    payload?: unknown;
  },
) {
  await db
    .insertInto('attempt_events')
    .values({
      attempt_id: e.attemptId,
      at: e.at,
      type: e.type,
      path: e.path ?? null,
      sha256: e.sha256 ?? null,
      revision: e.revision ?? null,
      payload_json: JSON.stringify(e.payload ?? {}),
    })
    .execute();
}

/** An invitation's attempts in task order (one for a single task; one per started task of an assessment). */
export function attemptsOfInvitation(db: Db, invitationId: string): Promise<Attempt[]> {
  return db
    .selectFrom('attempts')
    .selectAll()
    .where('invitation_id', '=', invitationId)
    .orderBy('position')
    .execute();
}

/**
 * Starts the attempt for an invitation's task at `position` (idempotent: a second start returns the
 * same attempt). A single-task invitation has only position 0. In an assessment, the overall clock
 * must have been started (every task's deadline is the assessment's); the per-task clock gives each
 * task its own limit from now. Nothing starts once the assessment is submitted or its time is up.
 */
export async function startAttempt(
  ctx: ServiceContext,
  invitationId: string,
  position = 0,
): Promise<Attempt> {
  const now = ctx.clock.now();
  let created = false;
  const started = await ctx.db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('attempts')
      .selectAll()
      .where('invitation_id', '=', invitationId)
      .where('position', '=', position)
      .executeTakeFirst();
    if (existing) return existing;
    created = true;
    const inv = await trx
      .selectFrom('invitations')
      .selectAll()
      .where('id', '=', invitationId)
      .executeTakeFirst();
    if (!inv) throw new AppError('not_found', 'invitation not found');
    if (inv.revoked_at !== null)
      throw new AppError('invitation_revoked', 'this invitation was withdrawn; contact the hiring team');
    let taskVersionId = inv.task_version_id;
    let deadline: number | null = null;
    let limitMinutes: number | null = null;
    const assessment = inv.assessment_version_id
      ? (await getAssessmentVersion({ ...ctx, db: trx }, inv.assessment_version_id)).manifest
      : null;
    // Overall clock: once it runs, the deadline bounds the work, not the link's expiry.
    const clockRunning = assessment?.clock === 'overall' && inv.assessment_started_at != null;
    if (inv.expires_at <= now && !clockRunning)
      throw new AppError(
        'invitation_expired',
        'this invitation expired before it was started; ask the hiring team for a new link',
      );
    if (!assessment) {
      if (position !== 0) throw new AppError('validation_failed', 'position: this invitation has one task');
    } else {
      const task = assessment.tasks[position];
      if (!task)
        throw new AppError('validation_failed', `position: expected 0 to ${assessment.tasks.length - 1}`);
      if (inv.assessment_submitted_at != null)
        throw new AppError(
          'attempt_submitted',
          'this assessment was submitted; its tasks can no longer be started',
        );
      taskVersionId = task.taskVersionId;
      if (assessment.clock === 'overall') {
        if (inv.assessment_started_at == null)
          throw new AppError(
            'conflict',
            'the assessment has not been started; press Start on its first page',
          );
        deadline = inv.assessment_started_at + assessment.timeLimitMinutes! * 60_000;
        if (now >= deadline)
          throw new AppError(
            'deadline_passed',
            "the assessment's time is up; tasks not opened are not attempted",
          );
      } else {
        limitMinutes = task.timeLimitMinutes;
        // Starting a task counts as having read the intro.
        await trx
          .updateTable('invitations')
          .set({ assessment_started_at: now })
          .where('id', '=', inv.id)
          .where('assessment_started_at', 'is', null)
          .execute();
      }
    }
    if (deadline === null) {
      const version = await getVersion({ ...ctx, db: trx }, taskVersionId);
      limitMinutes ??= version.manifest.timeLimitMinutes;
      deadline = now + limitMinutes * 60_000;
    }
    const attempt: Attempt = {
      id: ctx.ids.id('att'),
      invitation_id: inv.id,
      task_version_id: taskVersionId,
      status: 'started',
      started_at: now,
      deadline_at: deadline,
      submitted_at: null,
      submit_reason: null,
      stored_bytes: 0,
      edit_log_bytes: 0,
      position,
    };
    await trx.insertInto('attempts').values(attempt).execute();
    // The workspace starts as the task's starter/ files; rows point at the same blobs (no copy).
    const starter = await trx
      .selectFrom('task_version_files')
      .selectAll()
      .where('task_version_id', '=', taskVersionId)
      .where('role', '=', 'starter')
      .execute();
    for (const f of starter) {
      await trx
        .insertInto('workspace_files')
        .values({
          attempt_id: attempt.id,
          path: f.path.replace(/^starter\//, ''),
          sha256: f.sha256,
          size: f.size,
          revision: 1,
          updated_at: now,
        })
        .execute();
    }
    await recordEvent(trx, {
      attemptId: attempt.id,
      at: now,
      type: 'attempt.started',
      payload: { deadlineAt: attempt.deadline_at },
    });
    return attempt;
  });
  if (created) ctx.hooks?.attemptStarted(started.id);
  return started;
}

/** Submits (idempotent). Returns the attempt as stored after the call. */
export async function submitAttempt(
  ctx: ServiceContext,
  attemptId: string,
  reason: 'candidate' | 'deadline',
): Promise<Attempt> {
  const now = ctx.clock.now();
  let changed = false;
  const result = await ctx.db.transaction().execute(async (trx) => {
    const a = await trx.selectFrom('attempts').selectAll().where('id', '=', attemptId).executeTakeFirst();
    if (!a) throw new AppError('not_found', 'attempt not found');
    if (a.status !== 'started') return a;
    // A deadline submit is stamped with the deadline, not with when a sweeper noticed it. Past
    // deadline + grace it is one whatever the caller says; within the grace it is one when the
    // candidate's page sent it because the clock ran out (a claim believed only once the deadline
    // has passed: before it, the candidate submitted).
    const late = now > a.deadline_at + ctx.config.submitGraceMs;
    const finalReason = late || (reason === 'deadline' && now >= a.deadline_at) ? 'deadline' : 'candidate';
    const at = finalReason === 'deadline' ? Math.min(now, a.deadline_at) : now;
    const updated = await trx
      .updateTable('attempts')
      .set({ status: 'submitted', submitted_at: at, submit_reason: finalReason })
      .where('id', '=', attemptId)
      .where('status', '=', 'started')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 1) {
      changed = true;
      await recordEvent(trx, { attemptId, at, type: 'attempt.submitted', payload: { reason: finalReason } });
    }
    return trx.selectFrom('attempts').selectAll().where('id', '=', attemptId).executeTakeFirstOrThrow();
  });
  if (changed) ctx.hooks?.attemptSubmitted(attemptId);
  return result;
}

/** Auto-submits every started attempt whose deadline + grace has passed. Returns how many. */
export async function sweepDeadlines(ctx: ServiceContext): Promise<number> {
  const cutoff = ctx.clock.now() - ctx.config.submitGraceMs;
  const overdue = await ctx.db
    .selectFrom('attempts')
    .select('id')
    .where('status', '=', 'started')
    .where('deadline_at', '<', cutoff)
    .execute();
  for (const { id } of overdue) await submitAttempt(ctx, id, 'deadline');
  if (overdue.length)
    ctx.logger.info({ count: overdue.length }, 'auto-submitted attempts past their deadline');
  return overdue.length;
}

/**
 * Loads an attempt for whoever is asking. The owning candidate may read and write; admins and
 * authors may read; reviewers may read the submissions assigned to them; anyone else gets 404
 * (candidates: no existence oracle) or 403.
 */
export async function attemptFor(
  ctx: ServiceContext,
  who: Principal[],
  attemptId: string,
  mode: 'read' | 'write',
): Promise<Attempt> {
  const a = await ctx.db.selectFrom('attempts').selectAll().where('id', '=', attemptId).executeTakeFirst();
  const owner = a && who.find((p) => p.kind === 'candidate' && p.invitationId === a.invitation_id);
  if (a && owner) return mode === 'write' ? assertWritable(ctx, a) : a;
  const staff = who.find((p) => p.kind === 'staff');
  if (!staff) throw new AppError('not_found', 'attempt not found');
  if (staff.user.role === 'reviewer') {
    // Reviewers see only submissions assigned to them (blind: no identity is on these routes).
    const assigned =
      a &&
      (await ctx.db
        .selectFrom('review_assignments')
        .select('attempt_id')
        .where('attempt_id', '=', a.id)
        .where('reviewer_id', '=', staff.user.id)
        .executeTakeFirst());
    // 404 like a missing attempt: a 403 would tell an unassigned reviewer the submission exists.
    if (!assigned) throw new AppError('not_found', 'attempt not found');
  }
  if (!a) throw new AppError('not_found', 'attempt not found');
  if (mode === 'write') throw new AppError('forbidden', 'only the candidate can change their workspace');
  return a;
}

/** Refuses writes after submit or after deadline + grace (auto-submitting if that is overdue). */
export async function assertWritable(ctx: ServiceContext, a: Attempt): Promise<Attempt> {
  if (a.status !== 'started') {
    throw new AppError(
      'attempt_submitted',
      'this attempt was already submitted; changes are no longer accepted',
    );
  }
  if (ctx.clock.now() > a.deadline_at + ctx.config.submitGraceMs) {
    await submitAttempt(ctx, a.id, 'deadline');
    throw new AppError(
      'deadline_passed',
      'the time limit has passed and the attempt was submitted automatically; changes are no longer accepted',
    );
  }
  return a;
}

/** An attempt with the manifest of the task version it pinned. */
export async function attemptWithManifest(ctx: ServiceContext, attemptId: string) {
  const attempt = await ctx.db
    .selectFrom('attempts')
    .selectAll()
    .where('id', '=', attemptId)
    .executeTakeFirstOrThrow();
  const { manifest } = await getVersion(ctx, attempt.task_version_id);
  return { attempt, manifest };
}
