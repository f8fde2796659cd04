/** The values each kind of email is filled with, read from the rows it is about. */
import type { Db } from '../db/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { formatEmailTime, formatMinutes } from './templates.ts';

/** Title and time limit of a task version (from its stored manifest). */
export async function taskFacts(db: Db, taskVersionId: string) {
  const v = await db
    .selectFrom('task_versions')
    .select(['title', 'manifest_json'])
    .where('id', '=', taskVersionId)
    .executeTakeFirstOrThrow();
  const m = JSON.parse(v.manifest_json) as { timeLimitMinutes?: number };
  return { title: v.title, timeLimit: m.timeLimitMinutes ? formatMinutes(m.timeLimitMinutes) : 'none' };
}

/**
 * Queues the invitation email (or the reminder) for an invitation with the link just made for it,
 * in `db` (the caller's transaction). False when email is off or the reminder was queued before.
 */
export async function queueInvitationEmail(
  ctx: ServiceContext,
  db: Db,
  input: { invitationId: string; link: string; kind: 'invitation' | 'reminder' },
): Promise<boolean> {
  if (!ctx.mail?.enabled) return false;
  const inv = await db
    .selectFrom('invitations')
    .select(['candidate_name', 'candidate_email', 'task_version_id', 'expires_at', 'purpose'])
    .where('id', '=', input.invitationId)
    .executeTakeFirstOrThrow();
  if (inv.purpose !== 'candidate' || !inv.candidate_email) return false;
  const task = await taskFacts(db, inv.task_version_id);
  return ctx.mail.enqueue(db, {
    kind: input.kind,
    to: inv.candidate_email,
    invitationId: input.invitationId,
    dedupeKey: input.kind === 'reminder' ? `reminder:${input.invitationId}` : null,
    values: {
      candidateName: inv.candidate_name,
      taskTitle: task.title,
      timeLimit: task.timeLimit,
      expiresAt: formatEmailTime(inv.expires_at),
      link: input.link,
    },
  });
}
