/**
 * Mail that nobody clicks a button for: the reminder before an invitation expires, and the
 * confirmation of a submission (the candidate's own or the deadline's auto-submit). Both are queued
 * at most once (outbox dedupe keys), so sweeps may run in several processes and overlap.
 */
import { sql } from 'kysely';
import type { ServiceContext } from '../platform/index.ts';
import { hashSecret } from '../auth/index.ts';
import { queueInvitationEmail, taskFacts } from './messages.ts';
import { formatEmailTime } from './templates.ts';
import { assessmentOver, type StoredAssessment } from '../assessments/index.ts';

const CURSOR = 'email';
/** The tail's first position (events before email was on are never confirmed). */
const FLOOR = 'email.floor';
/**
 * Ids are taken at insert but committed in any order (Postgres: a submit's transaction may commit
 * after a later one), so each read goes back this many ids behind the cursor; dedupe keys make
 * reading an event twice harmless.
 */
const OVERLAP = 1000;
const BATCH = 200;

/**
 * Invitations that were emailed, are not started and expire within REMINDER_HOURS get one reminder
 * with a fresh link (tokens are stored hashed, so the first link cannot be repeated; it stops working,
 * as after a resend). Invitations whose link was copied by hand are left alone: a new token would
 * break the link the candidate holds.
 */
export async function queueReminders(ctx: ServiceContext): Promise<number> {
  const now = ctx.clock.now();
  const due = await ctx.db
    .selectFrom('invitations as i')
    .leftJoin('attempts as a', 'a.invitation_id', 'i.id')
    .select('i.id')
    .where('i.purpose', '=', 'candidate')
    .where('i.revoked_at', 'is', null)
    .where('a.id', 'is', null)
    // An assessment whose clock was started has begun, even before its first task attempt.
    .where('i.assessment_started_at', 'is', null)
    .where('i.expires_at', '>', now)
    .where('i.expires_at', '<=', now + ctx.config.email.reminderMs)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('outbox as o')
          .select('o.id')
          .whereRef('o.invitation_id', '=', 'i.id')
          .where('o.kind', '=', 'invitation'),
      ),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('outbox as r')
            .select('r.id')
            .where('r.dedupe_key', '=', sql<string>`${'reminder:'} || i.id`),
        ),
      ),
    )
    .limit(BATCH)
    .execute();
  let queued = 0;
  for (const { id } of due) {
    const token = ctx.ids.secret();
    const done = await ctx.db.transaction().execute(async (trx) => {
      // Started meanwhile: no reminder, and the link must not change under the candidate.
      const started = await trx
        .selectFrom('attempts')
        .select('id')
        .where('invitation_id', '=', id)
        .executeTakeFirst();
      if (started) return false;
      const ok = await queueInvitationEmail(ctx, trx, {
        invitationId: id,
        link: `${ctx.config.publicUrl}/i/${token}`,
        kind: 'reminder',
      });
      if (ok)
        await trx
          .updateTable('invitations')
          .set({ token_hash: hashSecret(token) })
          .where('id', '=', id)
          .execute();
      return ok;
    });
    if (done) queued++;
  }
  return queued;
}

/**
 * Tails `attempt_events` from the email cursor: each `attempt.submitted` of an emailed candidate gets
 * a confirmation saying whether they submitted or the deadline did. Queueing and moving the cursor
 * happen in one transaction.
 */
export async function tailSubmissions(ctx: ServiceContext): Promise<number> {
  return ctx.db.transaction().execute(async (trx) => {
    const cursors = await trx
      .selectFrom('email_cursor')
      .selectAll()
      .where('name', 'in', [CURSOR, FLOOR])
      .execute();
    const cursor = cursors.find((c) => c.name === CURSOR);
    const floor = cursors.find((c) => c.name === FLOOR);
    if (!cursor || !floor) {
      // First start with email on: confirmations begin with the next submission.
      const max = await trx
        .selectFrom('attempt_events')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirst();
      const at = Number(max?.id ?? 0);
      await trx
        .insertInto('email_cursor')
        .values([
          { name: CURSOR, last_event_id: at },
          { name: FLOOR, last_event_id: at },
        ])
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      return 0;
    }
    const from = Math.max(Number(floor.last_event_id), Number(cursor.last_event_id) - OVERLAP);
    // Up to the newest event now: the cursor moves past autosaves too, so each read is short.
    const max = await trx
      .selectFrom('attempt_events')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    const upTo = Math.min(Number(max?.id ?? 0), Number(cursor.last_event_id) + BATCH * 50);
    const events = await trx
      .selectFrom('attempt_events as e')
      .innerJoin('attempts as a', 'a.id', 'e.attempt_id')
      .innerJoin('invitations as i', 'i.id', 'a.invitation_id')
      .select([
        'e.id',
        'e.attempt_id',
        'e.at',
        'e.payload_json',
        'i.id as invitation_id',
        'i.candidate_name',
        'i.candidate_email',
        'i.purpose',
        'i.assessment_version_id',
        'i.assessment_started_at',
        'i.assessment_submitted_at',
        'i.expires_at',
        'i.revoked_at',
        'a.task_version_id',
      ])
      .where('e.id', '>', from)
      .where('e.id', '<=', upTo)
      .where('e.type', '=', 'attempt.submitted')
      .orderBy('e.id')
      .execute();
    let queued = 0;
    for (const e of events) {
      if (e.purpose !== 'candidate' || !ctx.mail?.enabled) continue;
      const emailed = await trx
        .selectFrom('outbox')
        .select('id')
        .where('invitation_id', '=', e.invitation_id)
        .where('kind', '=', 'invitation')
        .executeTakeFirst();
      if (!emailed) continue;
      const reason = (JSON.parse(e.payload_json) as { reason?: string }).reason;
      let taskTitle: string;
      let how: string;
      let dedupeKey: string;
      if (e.assessment_version_id) {
        // An assessment is confirmed once, when it takes no more work (Submit all, its clock out, every
        // task submitted), with each task's outcome: not once per task.
        const version = await trx
          .selectFrom('assessment_versions')
          .select('manifest_json')
          .where('id', '=', e.assessment_version_id)
          .executeTakeFirstOrThrow();
        const m = JSON.parse(version.manifest_json) as StoredAssessment;
        const attempts = await trx
          .selectFrom('attempts')
          .select(['position', 'status', 'submit_reason'])
          .where('invitation_id', '=', e.invitation_id)
          .execute();
        if (!assessmentOver(e, m, attempts, ctx.clock.now())) continue;
        const outcome = m.tasks.map((t) => {
          const a = attempts.find((x) => x.position === t.position);
          const what = !a
            ? 'not attempted'
            : a.status === 'started'
              ? 'being submitted automatically at the time limit'
              : a.submit_reason === 'deadline'
                ? 'submitted automatically when the time ran out'
                : 'submitted';
          return `- ${t.title}: ${what}`;
        });
        taskTitle = m.title;
        how = [`Your assessment ${m.title} is complete:`, '', ...outcome].join('\n');
        dedupeKey = `submitted:${e.invitation_id}`;
      } else {
        taskTitle = (await taskFacts(trx, e.task_version_id)).title;
        how =
          reason === 'deadline'
            ? `The time limit for ${taskTitle} ran out, so your work was submitted automatically as it was at the deadline.`
            : `You submitted your work for ${taskTitle}.`;
        dedupeKey = `submitted:${e.attempt_id}`;
      }
      const ok = await ctx.mail.enqueue(trx, {
        kind: 'submitted',
        to: e.candidate_email,
        invitationId: e.invitation_id,
        dedupeKey,
        values: {
          candidateName: e.candidate_name,
          taskTitle,
          submittedAt: formatEmailTime(Number(e.at)),
          how,
        },
      });
      if (ok) queued++;
    }
    if (upTo > Number(cursor.last_event_id))
      await trx.updateTable('email_cursor').set({ last_event_id: upTo }).where('name', '=', CURSOR).execute();
    return queued;
  });
}
