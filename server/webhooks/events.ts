/**
 * Webhook event types and their bodies, built from timeline rows (attempt_events, invitation_events).
 * A body carries ids, a few facts and links to the staff UI and API — never candidate code, files,
 * reviewers' evidence or notes, and no candidate name or email (reviews are blind; an ATS maps ids).
 */
import type { Db } from '../db/index.ts';

export const WEBHOOK_EVENTS = [
  'invitation.opened',
  'attempt.started',
  'attempt.submitted',
  'grade.completed',
  'review.submitted',
  'decision.made',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];
/** Sent only by "Send test event". */
export const TEST_EVENT = 'webhook.test';

/** Timeline event type → webhook event type. */
export const FROM_TIMELINE: Record<string, WebhookEventType> = {
  'invitation.opened': 'invitation.opened',
  'attempt.started': 'attempt.started',
  'attempt.submitted': 'attempt.submitted',
  'attempt.graded': 'grade.completed',
  'review.submitted': 'review.submitted',
  'decision.recorded': 'decision.made',
};

export interface WebhookBody {
  id: string;
  type: WebhookEventType | typeof TEST_EVENT;
  occurredAt: string;
  data: Record<string, unknown>;
  links: Record<string, string>;
}

interface Subject {
  invitationId: string;
  purpose: string;
  externalId: string | null;
  task: { slug: string; version: number };
}

/** The invitation and task an event is about (externalId when the column exists: API tokens' migration). */
async function subjectOf(db: Db, invitationId: string): Promise<Subject | undefined> {
  const row = await db
    .selectFrom('invitations as i')
    .innerJoin('task_versions as v', 'v.id', 'i.task_version_id')
    .selectAll('i')
    .select(['v.slug', 'v.version'])
    .where('i.id', '=', invitationId)
    .executeTakeFirst();
  if (!row) return undefined;
  const external = (row as unknown as { external_id?: unknown }).external_id;
  return {
    invitationId: row.id,
    purpose: row.purpose,
    externalId: typeof external === 'string' ? external : null,
    task: { slug: row.slug, version: row.version },
  };
}

function ids(s: Subject) {
  return {
    invitationId: s.invitationId,
    ...(s.externalId !== null ? { externalId: s.externalId } : {}),
    task: s.task,
  };
}

/**
 * The body for an attempt_events row, or undefined when it is not webhook news (other types, task
 * verification's own attempts).
 */
export async function attemptEventBody(
  db: Db,
  publicUrl: string,
  eventId: string,
  row: { attempt_id: string; at: number; type: string; payload_json: string },
): Promise<WebhookBody | undefined> {
  const type = FROM_TIMELINE[row.type];
  if (!type || type === 'invitation.opened') return undefined;
  const attempt = await db
    .selectFrom('attempts')
    .select(['id', 'invitation_id'])
    .where('id', '=', row.attempt_id)
    .executeTakeFirst();
  if (!attempt) return undefined;
  const subject = await subjectOf(db, attempt.invitation_id);
  if (!subject || subject.purpose !== 'candidate') return undefined;
  const p = JSON.parse(row.payload_json) as Record<string, unknown>;
  const attemptId = attempt.id;
  const enc = encodeURIComponent(attemptId);
  const links: Record<string, string> = {
    review: `${publicUrl}/review/${enc}`,
    attempt: `${publicUrl}/api/attempts/${enc}`,
  };
  const data: Record<string, unknown> = { ...ids(subject), attemptId };
  if (type === 'attempt.started' && typeof p.deadlineAt === 'number') data.deadlineAt = iso(p.deadlineAt);
  if (type === 'attempt.submitted') data.reason = p.reason === 'deadline' ? 'deadline' : 'candidate';
  if (type === 'grade.completed') {
    data.gradeId = p.gradeId ?? null;
    data.status = p.status === 'failed' ? 'failed' : 'done';
    data.reason = p.reason ?? null;
    if (data.status === 'done')
      Object.assign(data, { verdict: p.verdict, passed: p.passed, failed: p.failed });
    links.grade = `${publicUrl}/api/attempts/${enc}/grade`;
  }
  if (type === 'review.submitted') {
    // Counts only: who reviewed and what they wrote stay inside worksample.
    const [assigned, submitted] = await Promise.all([
      db
        .selectFrom('review_assignments')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('attempt_id', '=', attemptId)
        .executeTakeFirst(),
      db
        .selectFrom('reviews')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('attempt_id', '=', attemptId)
        .where('status', '=', 'submitted')
        .executeTakeFirst(),
    ]);
    data.reviewsSubmitted = Number(submitted?.n ?? 0);
    data.reviewsAssigned = Number(assigned?.n ?? 0);
  }
  if (type === 'decision.made') {
    data.decision = p.decision;
    links.reviews = `${publicUrl}/api/reviews/${enc}/all`;
  }
  return { id: eventId, type, occurredAt: iso(row.at), data, links };
}

/** The body for an invitation_events row (invitation.opened), or undefined. */
export async function invitationEventBody(
  db: Db,
  publicUrl: string,
  eventId: string,
  row: { invitation_id: string; at: number; type: string },
): Promise<WebhookBody | undefined> {
  if (row.type !== 'invitation.opened') return undefined;
  const subject = await subjectOf(db, row.invitation_id);
  if (!subject || subject.purpose !== 'candidate') return undefined;
  return {
    id: eventId,
    type: 'invitation.opened',
    occurredAt: iso(row.at),
    data: ids(subject),
    links: { invitations: `${publicUrl}/admin/invitations` },
  };
}

/** The body "Send test event" sends. */
export function testEventBody(
  publicUrl: string,
  eventId: string,
  at: number,
  endpointId: string,
): WebhookBody {
  return {
    id: eventId,
    type: TEST_EVENT,
    occurredAt: iso(at),
    data: { endpointId, message: 'a test event sent from the worksample admin page' },
    links: { webhooks: `${publicUrl}/admin/webhooks` },
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
