/**
 * The outbox table: one row per message. Rows are written in the caller's transaction (an invitation
 * and its email commit together or not at all) and moved by the worker (worker.ts). Bodies may hold
 * a link's token, so they are kept only until the message is sent or given up; the delivery logs
 * keep the rest.
 */
import type { Db, OutboxTable } from '../db/index.ts';
import type { QueuedMail, ServiceContext } from '../platform/index.ts';
import { EMAIL_KINDS, renderEmail, type EmailKind, type Templates } from './templates.ts';

/** Renders and inserts one message; false when its dedupe key was used before. */
export async function insertMessage(
  db: Db,
  ctx: Pick<ServiceContext, 'clock' | 'ids'>,
  templates: Templates,
  m: QueuedMail,
): Promise<boolean> {
  if (!(EMAIL_KINDS as readonly string[]).includes(m.kind)) throw new Error(`unknown email kind ${m.kind}`);
  const r = renderEmail(templates[m.kind as EmailKind], m.values);
  const now = ctx.clock.now();
  const row: OutboxTable = {
    id: ctx.ids.id('mail'),
    kind: m.kind,
    to_address: m.to,
    subject: r.subject,
    text_body: r.text,
    html_body: r.html,
    invitation_id: m.invitationId ?? null,
    user_id: m.userId ?? null,
    dedupe_key: m.dedupeKey ?? null,
    status: 'queued',
    tries: 0,
    next_try_at: now,
    last_error: null,
    created_at: now,
    sent_at: null,
  };
  const res = await db
    .insertInto('outbox')
    .values(row)
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export interface DeliveryEntry {
  id: string;
  kind: string;
  to: string;
  subject: string;
  status: OutboxTable['status'];
  tries: number;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
  nextTryAt: number | null;
}

/** The delivery log of one candidate's invitation or one staff user, newest first. */
export async function deliveryLog(
  ctx: ServiceContext,
  about: { invitationId: string } | { userId: string },
): Promise<DeliveryEntry[]> {
  let q = ctx.db.selectFrom('outbox').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(200);
  q =
    'invitationId' in about
      ? q.where('invitation_id', '=', about.invitationId)
      : q.where('user_id', '=', about.userId);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    to: r.to_address,
    subject: r.subject,
    status: r.status,
    tries: r.tries,
    lastError: r.last_error,
    createdAt: r.created_at,
    sentAt: r.sent_at,
    nextTryAt: r.status === 'queued' ? r.next_try_at : null,
  }));
}
