/**
 * An assessment's clock: when its overall time runs out, and whether it takes no more work. Pure
 * functions of the invitation row, the stored manifest and the attempts' statuses, shared by the
 * candidate's verbs (invitations) and the confirmation email sweep.
 */
import type { AttemptsTable, InvitationsTable } from '../db/index.ts';
import type { StoredAssessment } from './load.ts';

/**
 * Whether an assessment takes no more work: Submit all pressed, its overall time up, every task
 * submitted, or (per-task clock) the link expired or was revoked with no task open.
 */
export function assessmentOver(
  inv: Pick<
    InvitationsTable,
    'assessment_started_at' | 'assessment_submitted_at' | 'expires_at' | 'revoked_at'
  >,
  m: StoredAssessment,
  attempts: Array<Pick<AttemptsTable, 'status'>>,
  now: number,
): boolean {
  if (inv.assessment_submitted_at != null) return true;
  const deadline = assessmentDeadline(inv, m);
  if (deadline !== null && now >= deadline) return true;
  if (attempts.length >= m.tasks.length && attempts.every((a) => a.status !== 'started')) return true;
  const clockRunning = m.clock === 'overall' && inv.assessment_started_at != null;
  return (
    !clockRunning &&
    (inv.expires_at <= now || inv.revoked_at !== null) &&
    attempts.every((a) => a.status !== 'started')
  );
}

/** The overall clock's deadline, once started (null for the per-task clock). */
export function assessmentDeadline(
  inv: Pick<InvitationsTable, 'assessment_started_at'>,
  m: StoredAssessment,
): number | null {
  return m.clock === 'overall' && inv.assessment_started_at != null
    ? inv.assessment_started_at + m.timeLimitMinutes! * 60_000
    : null;
}
