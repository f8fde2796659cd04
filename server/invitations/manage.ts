/**
 * Looking after an invitation before it is used: a fresh link (resend) and more time (extend).
 * Resend stops a leaked or lost link: the old token's hash is replaced, so the old link no longer
 * opens, and candidate sessions already opened through it are ended.
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { hashSecret } from '../auth/index.ts';
import { queueInvitationEmail } from '../email/index.ts';
import { DAY_MS, invitationLink, listInvitations, type InvitationView } from './invitations.ts';

async function unstarted(ctx: ServiceContext, id: string, verb: string): Promise<InvitationView> {
  const [inv] = await listInvitations(ctx, id);
  if (!inv) throw new AppError('not_found', 'invitation not found');
  // An assessment has begun once its clock started, before any task attempt exists.
  if (inv.attemptId || (inv.assessment && !['invited', 'expired', 'revoked'].includes(inv.status)))
    throw new AppError('conflict', `the candidate already started; a started invitation cannot be ${verb}`);
  if (inv.status === 'revoked')
    throw new AppError('conflict', `this invitation was revoked and cannot be ${verb}; create a new one`);
  return inv;
}

/** Issues a new link for the same invitation; the previous link stops working. */
export async function resendInvitation(
  ctx: ServiceContext,
  id: string,
  opts: { sendEmail?: boolean } = {},
): Promise<{ invitation: InvitationView; link: string; emailed: boolean }> {
  const inv = await unstarted(ctx, id, 'resent');
  if (inv.status === 'expired')
    throw new AppError(
      'conflict',
      'this invitation expired; extend it first (POST /api/invitations/{id}/extend), then resend',
    );
  const token = ctx.ids.secret();
  const link = invitationLink(ctx, token);
  const emailed = await ctx.db.transaction().execute(async (trx) => {
    // Checked again inside the transaction: the candidate may have started meanwhile.
    const attempt = await trx
      .selectFrom('attempts')
      .select('id')
      .where('invitation_id', '=', id)
      .executeTakeFirst();
    const begun = await trx
      .selectFrom('invitations')
      .select('id')
      .where('id', '=', id)
      .where('assessment_started_at', 'is not', null)
      .executeTakeFirst();
    if (attempt || begun)
      throw new AppError('conflict', 'the candidate already started; a started invitation cannot be resent');
    await trx
      .updateTable('invitations')
      .set({ token_hash: hashSecret(token) })
      .where('id', '=', id)
      .execute();
    await trx
      .deleteFrom('sessions')
      .where('kind', '=', 'candidate')
      .where('invitation_id', '=', id)
      .execute();
    if (opts.sendEmail === false) return false;
    return queueInvitationEmail(ctx, trx, { invitationId: id, link, kind: 'invitation' });
  });
  if (emailed) ctx.mail?.kick();
  return { invitation: (await listInvitations(ctx, id))[0]!, link, emailed };
}

/**
 * Pushes the expiry `days` further, counted from now when it already passed, so an expired unstarted
 * invitation becomes usable again. The result stays within 365 days of now.
 */
export async function extendInvitation(
  ctx: ServiceContext,
  id: string,
  days: number,
): Promise<InvitationView> {
  if (!Number.isFinite(days) || days <= 0)
    throw new AppError('validation_failed', 'days: expected a positive number of days');
  const inv = await unstarted(ctx, id, 'extended');
  const now = ctx.clock.now();
  const expiresAt = Math.max(now, inv.expiresAt) + Math.round(days * DAY_MS);
  if (expiresAt - now > 365 * DAY_MS)
    throw new AppError('validation_failed', 'days: the invitation would expire more than 365 days from now');
  await ctx.db
    .updateTable('invitations')
    .set({ expires_at: expiresAt })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
  return (await listInvitations(ctx, id))[0]!;
}
