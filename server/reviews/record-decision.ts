/** Writes one decision for one attempt: the row, the attempt marked graded, the timeline event (webhooks: decision.made). */
import type { Db } from '../db/index.ts';
import type { StaffUser } from '../auth/index.ts';
import { recordEvent } from '../attempts/index.ts';

export async function recordDecision(
  trx: Db,
  attemptId: string,
  admin: StaffUser,
  input: { decision: 'advance' | 'reject' | 'hold'; reason: string },
  now: number,
) {
  await trx
    .insertInto('decisions')
    .values({
      attempt_id: attemptId,
      decided_by: admin.id,
      decision: input.decision,
      reason: input.reason.trim(),
      decided_at: now,
    })
    .execute();
  await trx.updateTable('attempts').set({ status: 'graded' }).where('id', '=', attemptId).execute();
  await recordEvent(trx, {
    attemptId,
    at: now,
    type: 'decision.recorded',
    payload: { decision: input.decision, by: admin.id },
  });
}
