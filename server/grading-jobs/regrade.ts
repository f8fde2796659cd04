/** Staff ask for a submission to be graded again: a new grading row; the earlier ones are kept. */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { GradesTable } from '../db/index.ts';
import { newJob } from './jobs.ts';
import { isUniqueViolation } from '../db/index.ts';

const busy = () =>
  new AppError('conflict', 'this submission is already being graded; wait for that grading to end');

/**
 * Queues a new grading of a submitted code attempt, replacing the current grade (kept in the history
 * as superseded). Refused while a grading of it is queued, waiting or running (one at a time).
 */
export async function regrade(
  ctx: ServiceContext,
  attemptId: string,
  by: { userId: string; note?: string },
): Promise<GradesTable> {
  const a = await ctx.db
    .selectFrom('attempts')
    .innerJoin('task_versions', 'task_versions.id', 'attempts.task_version_id')
    .select(['attempts.status', 'task_versions.kind'])
    .where('attempts.id', '=', attemptId)
    .executeTakeFirst();
  if (!a) throw new AppError('not_found', 'attempt not found');
  if (a.status === 'started')
    throw new AppError('conflict', 'this attempt is not submitted yet; it is graded when it is submitted');
  if (a.kind !== 'code') throw new AppError('bad_request', 'this task has no hidden tests to grade');
  const row = newJob(ctx, attemptId, 'regrade', { requestedBy: by.userId, note: by.note });
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('grades')
        .select(['id', 'status'])
        .where('attempt_id', '=', attemptId)
        .where('superseded_at', 'is', null)
        .executeTakeFirst();
      if (current && current.status !== 'done' && current.status !== 'failed') throw busy();
      if (current) {
        // Only a finished grade is replaced (a worker may have just taken a waiting one).
        const r = await trx
          .updateTable('grades')
          .set({ superseded_at: row.created_at })
          .where('id', '=', current.id)
          .where('status', 'in', ['done', 'failed'])
          .where('superseded_at', 'is', null)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) throw busy();
      }
      await trx.insertInto('grades').values(row).execute();
    });
  } catch (err) {
    // A concurrent re-grade (another request or process) inserted the current grade first.
    if (isUniqueViolation(err)) throw busy();
    throw err;
  }
  return row;
}
