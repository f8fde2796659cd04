/** Who reviews what: code names, round-robin or manual assignment, and each reviewer's queue. */
import { createHash } from 'node:crypto';
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { getVersion } from '../tasks/index.ts';
import { recordEvent } from '../attempts/index.ts';
import { formatEmailTime } from '../email/index.ts';

export const REVIEW_DUE_MS = 3 * 86_400_000;

/** A stable pseudonym for a submission; says nothing about the candidate. */
export function codeName(attemptId: string): string {
  return `C-${createHash('sha256').update(`codename:${attemptId}`).digest('hex').slice(0, 4).toUpperCase()}`;
}

/** Assigns reviewers: the given ones (admin), or round robin among the least loaded reviewers. */
export async function assignReviewers(
  ctx: ServiceContext,
  attemptId: string,
  opts: { reviewerIds?: string[]; assignedBy?: string | null; dueInDays?: number } = {},
): Promise<string[]> {
  const a = await attemptOrThrow(ctx, attemptId);
  if (a.status === 'started') throw new AppError('conflict', 'the attempt is not submitted yet');
  const { purpose } = await ctx.db
    .selectFrom('invitations')
    .select('purpose')
    .where('id', '=', a.invitation_id)
    .executeTakeFirstOrThrow();
  // Task verification's attempts are not candidates: nobody reviews them.
  if (purpose === 'verify') return [];
  const { manifest } = await getVersion(ctx, a.task_version_id);
  const already = new Set(
    (
      await ctx.db
        .selectFrom('review_assignments')
        .select('reviewer_id')
        .where('attempt_id', '=', attemptId)
        .execute()
    ).map((r) => r.reviewer_id),
  );
  let chosen: string[];
  if (opts.reviewerIds) {
    const found = await ctx.db
      .selectFrom('users')
      .select(['id', 'role'])
      .where('id', 'in', opts.reviewerIds.length ? opts.reviewerIds : [''])
      .where('disabled', '=', 0)
      .execute();
    const bad = opts.reviewerIds.filter((id) => !found.some((u) => u.id === id));
    if (bad.length)
      throw new AppError('validation_failed', `reviewerIds: unknown or disabled users: ${bad.join(', ')}`);
    const authors = found.filter((u) => u.role === 'author').map((u) => u.id);
    if (authors.length) {
      throw new AppError(
        'validation_failed',
        `reviewerIds: ${authors.join(', ')} cannot review (role author); choose reviewers or admins`,
      );
    }
    chosen = opts.reviewerIds.filter((id) => !already.has(id));
  } else {
    const want = Math.max(0, manifest.review.reviewersPerSubmission - already.size);
    const load = await ctx.db
      .selectFrom('users')
      .leftJoin('review_assignments as ra', 'ra.reviewer_id', 'users.id')
      .select(['users.id', (eb) => eb.fn.count<number>('ra.attempt_id').as('n')])
      .where('users.role', '=', 'reviewer')
      .where('users.disabled', '=', 0)
      // Invited reviewers cannot sign in until they set a password: not in the round robin yet.
      .where('users.state', '=', 'active')
      .groupBy('users.id')
      .orderBy('n')
      .orderBy('users.id')
      .execute();
    chosen = load
      .map((r) => r.id)
      .filter((id) => !already.has(id))
      .slice(0, want);
  }
  const now = ctx.clock.now();
  const due = now + (opts.dueInDays ? opts.dueInDays * 86_400_000 : REVIEW_DUE_MS);
  for (const reviewerId of chosen) {
    await ctx.db
      .insertInto('review_assignments')
      .values({
        attempt_id: attemptId,
        reviewer_id: reviewerId,
        assigned_at: now,
        due_at: due,
        assigned_by: opts.assignedBy ?? null,
      })
      .execute();
  }
  if (chosen.length)
    await recordEvent(ctx.db, {
      attemptId,
      at: now,
      type: 'review.assigned',
      payload: { reviewers: chosen.length },
    });
  await noticeReviewers(ctx, attemptId, manifest.title, chosen, due);
  return chosen;
}

/** Emails each newly assigned reviewer: the code name only (blind review), the task and the due date. */
async function noticeReviewers(
  ctx: ServiceContext,
  attemptId: string,
  taskTitle: string,
  reviewerIds: string[],
  dueAt: number,
) {
  const mail = ctx.mail;
  if (!mail?.enabled || !reviewerIds.length) return;
  const users = await ctx.db
    .selectFrom('users')
    .select(['id', 'email', 'name'])
    .where('id', 'in', reviewerIds)
    .execute();
  for (const u of users) {
    await mail.enqueue(ctx.db, {
      kind: 'review_assigned',
      to: u.email,
      userId: u.id,
      values: {
        reviewerName: u.name,
        codeName: codeName(attemptId),
        taskTitle,
        dueAt: formatEmailTime(dueAt),
        link: `${ctx.config.publicUrl}/review/${attemptId}`,
      },
    });
  }
  mail.kick();
}

export async function queue(ctx: ServiceContext, reviewerId: string) {
  const rows = await ctx.db
    .selectFrom('review_assignments as ra')
    .innerJoin('attempts as a', 'a.id', 'ra.attempt_id')
    .innerJoin('task_versions as v', 'v.id', 'a.task_version_id')
    .leftJoin('reviews as r', (j) =>
      j.onRef('r.attempt_id', '=', 'ra.attempt_id').onRef('r.reviewer_id', '=', 'ra.reviewer_id'),
    )
    .select([
      'ra.attempt_id',
      'ra.due_at',
      'ra.assigned_at',
      'a.submitted_at',
      'v.slug',
      'v.title',
      'v.version',
      'r.status as review_status',
    ])
    .where('ra.reviewer_id', '=', reviewerId)
    .orderBy('ra.due_at')
    .execute();
  return rows.map((r) => ({
    attemptId: r.attempt_id,
    codeName: codeName(r.attempt_id),
    task: { slug: r.slug, title: r.title, version: r.version },
    submittedAt: r.submitted_at,
    assignedAt: r.assigned_at,
    dueAt: r.due_at,
    status: (r.review_status ?? 'to do') as 'to do' | 'draft' | 'submitted',
  }));
}

/** The attempt, or 404. */
export async function attemptOrThrow(ctx: ServiceContext, attemptId: string) {
  const a = await ctx.db.selectFrom('attempts').selectAll().where('id', '=', attemptId).executeTakeFirst();
  if (!a) throw new AppError('not_found', 'submission not found');
  return a;
}
