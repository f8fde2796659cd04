/** What staff see of a grading: its state as a job, and its per-test result. */
import type { ServiceContext } from '../platform/index.ts';
import type { GradesTable } from '../db/index.ts';
import type { TestReport } from '../grading/index.ts';

export interface GradeView {
  id: string;
  attemptId: string;
  status: GradesTable['status'];
  reason: GradesTable['reason'];
  /** The staff user who asked for a re-grade. */
  requestedBy: { id: string; name: string } | null;
  note: string | null;
  tries: number;
  maxTries: number;
  /** When a waiting grading is due to be tried (queued or retry_wait); null otherwise. */
  nextRunAt: number | null;
  /** The last engine error: why it waits, or why it failed. */
  lastError: string | null;
  verdict: string | null;
  passed: number;
  failed: number;
  skipped: number;
  tests: TestReport['tests'];
  stdout: string;
  stderr: string;
  /** Why the verdict is what it is when no report decided it, or why the grading failed. */
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Set when a later grading replaced this one as the attempt's grade. */
  supersededAt: number | null;
}

type Row = GradesTable & { requester_name?: string | null };

export function viewGrade(g: Row, maxTries: number): GradeView {
  const waiting = g.status === 'queued' || g.status === 'retry_wait';
  return {
    id: g.id,
    attemptId: g.attempt_id,
    status: g.status,
    reason: g.reason,
    requestedBy: g.requested_by ? { id: g.requested_by, name: g.requester_name ?? g.requested_by } : null,
    note: g.note,
    tries: g.tries,
    maxTries,
    nextRunAt: waiting ? g.next_run_at : null,
    lastError: g.last_error,
    verdict: g.verdict,
    passed: g.passed,
    failed: g.failed,
    skipped: g.skipped,
    tests: JSON.parse(g.report_json) as TestReport['tests'],
    stdout: g.stdout,
    stderr: g.stderr,
    error: g.error,
    createdAt: g.created_at,
    startedAt: g.started_at,
    finishedAt: g.finished_at,
    supersededAt: g.superseded_at,
  };
}

function gradesWithRequester(ctx: ServiceContext) {
  return ctx.db
    .selectFrom('grades')
    .leftJoin('users', 'users.id', 'grades.requested_by')
    .selectAll('grades')
    .select('users.name as requester_name');
}

/** The attempt's current grade (the newest grading), or undefined before any. */
export async function getGrade(ctx: ServiceContext, attemptId: string): Promise<GradeView | undefined> {
  const g = await gradesWithRequester(ctx)
    .where('grades.attempt_id', '=', attemptId)
    .where('grades.superseded_at', 'is', null)
    .executeTakeFirst();
  return g ? viewGrade(g, ctx.config.grading.maxTries) : undefined;
}

/** Every grading of the attempt, newest first (the current one, then those it replaced). */
export async function gradeHistory(ctx: ServiceContext, attemptId: string): Promise<GradeView[]> {
  const rows = await gradesWithRequester(ctx)
    .where('grades.attempt_id', '=', attemptId)
    .orderBy('grades.created_at', 'desc')
    .orderBy('grades.id', 'desc')
    .limit(100)
    .execute();
  // The current one first, whatever the clock said when it was made.
  rows.sort((a, b) => Number(a.superseded_at !== null) - Number(b.superseded_at !== null));
  return rows.map((g) => viewGrade(g, ctx.config.grading.maxTries));
}
