/**
 * The grading job's record (`grades`, one row per grading) and its moves: queued → running →
 * done | retry_wait → running … | failed. A move happens with an UPDATE that names the state it leaves,
 * so two workers (two loops, or two processes on one database) never both take or finish one job.
 * A running job carries a lease its worker renews (`renewLease`); a job running past its lease was
 * cut off with its process and goes back in line (`requeueInterrupted`). Finishing names the try
 * that took the job, so a worker whose lease ran out (a stalled replica) cannot finish it again.
 */
import { cutOffJobs, isUniqueViolation, setJobLease, type Db, type GradesTable } from '../db/index.ts';
import { JOB_LEASE, type ServiceContext } from '../platform/index.ts';
import { recordEvent } from '../attempts/index.ts';
import type { GradeOutcome } from '../runs/index.ts';

export type GradeReason = GradesTable['reason'];
const WAITING = ['queued', 'retry_wait'] as const;

/** A new grading row, queued and due now. */
export function newJob(
  ctx: ServiceContext,
  attemptId: string,
  reason: GradeReason,
  by: { requestedBy?: string; note?: string } = {},
): GradesTable {
  const now = ctx.clock.now();
  return {
    id: ctx.ids.id('grade'),
    attempt_id: attemptId,
    status: 'queued',
    reason,
    requested_by: by.requestedBy ?? null,
    note: by.note ?? null,
    tries: 0,
    next_run_at: now,
    last_error: null,
    verdict: null,
    passed: 0,
    failed: 0,
    skipped: 0,
    report_json: '[]',
    stdout: '',
    stderr: '',
    error: null,
    created_at: now,
    started_at: null,
    finished_at: null,
    superseded_at: null,
  };
}

/**
 * Queues the first grading of a submitted code attempt; nothing when it already has one (the unique
 * index on the current grade decides between concurrent callers). Answers the row when queued.
 */
export async function enqueueFirst(
  ctx: ServiceContext,
  attemptId: string,
  reason: GradeReason,
): Promise<GradesTable | undefined> {
  const a = await ctx.db
    .selectFrom('attempts')
    .innerJoin('task_versions', 'task_versions.id', 'attempts.task_version_id')
    .select(['attempts.status', 'task_versions.kind'])
    .where('attempts.id', '=', attemptId)
    .executeTakeFirst();
  if (!a || a.kind !== 'code' || a.status === 'started') return undefined;
  const existing = await ctx.db
    .selectFrom('grades')
    .select('id')
    .where('attempt_id', '=', attemptId)
    .executeTakeFirst();
  if (existing) return undefined;
  const row = newJob(ctx, attemptId, reason);
  try {
    await ctx.db.insertInto('grades').values(row).execute();
    return row;
  } catch (err) {
    if (isUniqueViolation(err)) return undefined;
    throw err;
  }
}

/** Takes the next due grading (oldest due first): it becomes running and its try is counted. */
export async function claimNext(ctx: ServiceContext): Promise<GradesTable | undefined> {
  for (let round = 0; round < 5; round++) {
    const now = ctx.clock.now();
    const due = await ctx.db
      .selectFrom('grades')
      .select('id')
      .where('status', 'in', WAITING)
      .where('next_run_at', '<=', now)
      .where('superseded_at', 'is', null)
      .orderBy('next_run_at')
      .orderBy('created_at')
      .limit(1)
      .executeTakeFirst();
    if (!due) return undefined;
    const taken = await ctx.db
      .updateTable('grades')
      .set((eb) => ({
        status: 'running',
        tries: eb('tries', '+', 1),
        started_at: now,
        lease_until: now + JOB_LEASE.ms,
      }))
      .where('id', '=', due.id)
      .where('status', 'in', WAITING)
      .executeTakeFirst();
    // Another worker took it between the two statements: look again.
    if (Number(taken.numUpdatedRows) !== 1) continue;
    return ctx.db.selectFrom('grades').selectAll().where('id', '=', due.id).executeTakeFirstOrThrow();
  }
  return undefined;
}

/** When the next waiting grading is due, if any. */
export async function nextDue(ctx: ServiceContext): Promise<number | undefined> {
  const r = await ctx.db
    .selectFrom('grades')
    .select((eb) => eb.fn.min('next_run_at').as('at'))
    .where('status', 'in', WAITING)
    .where('superseded_at', 'is', null)
    .executeTakeFirst();
  return r?.at == null ? undefined : Number(r.at);
}

async function graded(db: Db, job: GradesTable, at: number, payload: Record<string, unknown>) {
  await recordEvent(db, {
    attemptId: job.attempt_id,
    at,
    type: 'attempt.graded',
    payload: { gradeId: job.id, reason: job.reason, ...payload },
  });
}

/** The try completed: the grading is done with the hidden tests' verdict. */
export async function finishDone(ctx: ServiceContext, job: GradesTable, outcome: GradeOutcome) {
  const at = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('grades')
      .set({ ...outcome, status: 'done', finished_at: at, lease_until: null })
      .where('id', '=', job.id)
      .where('status', '=', 'running')
      .where('tries', '=', job.tries)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1)
      await graded(trx, job, at, {
        verdict: outcome.verdict,
        passed: outcome.passed,
        failed: outcome.failed,
      });
  });
}

/** The try hit an engine error and tries are left: wait, then go again. */
export async function retryLater(ctx: ServiceContext, job: GradesTable, error: string, at: number) {
  await ctx.db
    .updateTable('grades')
    .set({ status: 'retry_wait', last_error: error, next_run_at: at, lease_until: null })
    .where('id', '=', job.id)
    .where('status', '=', 'running')
    .where('tries', '=', job.tries)
    .execute();
}

/** No more tries (or an error another try would repeat): failed, with the reason for staff. */
export async function finishFailed(ctx: ServiceContext, job: GradesTable, reason: string, lastError: string) {
  const at = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('grades')
      .set({ status: 'failed', error: reason, last_error: lastError, finished_at: at, lease_until: null })
      .where('id', '=', job.id)
      .where('status', '=', 'running')
      .where('tries', '=', job.tries)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) await graded(trx, job, at, { status: 'failed', error: reason });
  });
}

/** The worker still runs this try: it keeps the job a lease longer. False: the job is no longer this try's. */
export function renewLease(ctx: ServiceContext, job: GradesTable): Promise<boolean> {
  return setJobLease(ctx.db, 'grades', job, ctx.clock.now() + JOB_LEASE.ms);
}

/** The worker gives this try up (shutdown): it stays running, but any process may take it up now. */
export async function endLease(ctx: ServiceContext, job: GradesTable): Promise<void> {
  await setJobLease(ctx.db, 'grades', job, 0);
}

/**
 * Gradings left running by a process that is gone go back in line, or fail when that was their last
 * try. `everyRunning`: at the start of the only process on its database (SQLite), every running
 * grading is such a one; otherwise (replicas on Postgres) only those past their lease.
 */
export async function requeueInterrupted(
  ctx: ServiceContext,
  maxTries: number,
  opts: { everyRunning: boolean } = { everyRunning: true },
): Promise<number> {
  const now = ctx.clock.now();
  const cut = 'the server stopped during this try';
  const orphaned = cutOffJobs('grades', now, opts.everyRunning);
  const back = await ctx.db
    .updateTable('grades')
    .set({ status: 'queued', next_run_at: now, last_error: cut, lease_until: null })
    .where(orphaned)
    .where('tries', '<', maxTries)
    .executeTakeFirst();
  const spent = await ctx.db.selectFrom('grades').selectAll().where(orphaned).execute();
  for (const job of spent)
    await finishFailed(ctx, job, `grading failed: the server stopped during each of ${job.tries} tries`, cut);
  return Number(back.numUpdatedRows) + spent.length;
}

/** Submitted code attempts with no grading at all (the server stopped between submit and queueing). */
export async function ungradedAttempts(
  ctx: ServiceContext,
): Promise<Array<{ id: string; reason: GradeReason }>> {
  const rows = await ctx.db
    .selectFrom('attempts')
    .innerJoin('task_versions', 'task_versions.id', 'attempts.task_version_id')
    .leftJoin('grades', 'grades.attempt_id', 'attempts.id')
    .select(['attempts.id as id', 'attempts.submit_reason'])
    .where('attempts.status', '=', 'submitted')
    .where('task_versions.kind', '=', 'code')
    .where('grades.id', 'is', null)
    .execute();
  return rows.map((r) => ({ id: r.id, reason: r.submit_reason === 'deadline' ? 'deadline' : 'submit' }));
}

/** Sandboxes cannot run now: every waiting grading says why (shown to staff), nothing is tried. */
export async function noteWaiting(ctx: ServiceContext, why: string) {
  await ctx.db
    .updateTable('grades')
    .set({ last_error: why })
    .where('status', 'in', WAITING)
    .where('superseded_at', 'is', null)
    .where((eb) => eb.or([eb('last_error', 'is', null), eb('last_error', '!=', why)]))
    .execute();
}
