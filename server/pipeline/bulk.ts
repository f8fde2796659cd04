/**
 * Bulk actions over selected pipeline rows (invitations): assign reviewers, extend, remind by email,
 * revoke, export.
 * Each row is done on its own through the same verbs as the one-row pages, and reported on its own —
 * a failing row never hides the ones that worked, nor the other way round.
 */
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { StaffUser } from '../auth/index.ts';
import { extendInvitation, resendInvitation, revokeInvitation } from '../invitations/index.ts';
import { assignReviewers } from '../reviews/index.ts';
import { exportCsv, exportSubmissions } from '../export/index.ts';

export const MAX_BULK_IDS = 500;

export type BulkAction =
  | { action: 'assign'; reviewerIds: string[] }
  | { action: 'extend'; days: number }
  | { action: 'revoke' }
  | { action: 'export' }
  /** Email a fresh link to candidates who have not started (the Invitations page's Resend, by email). */
  | { action: 'remind' };

export interface BulkRowResult {
  invitationId: string;
  ok: boolean;
  /** What happened, or why not (the same message the one-row action gives). */
  message: string;
}

export interface BulkOutcome {
  results: BulkRowResult[];
  succeeded: number;
  failed: number;
  /** export only: the CSV of the selected submitted rows. */
  csv?: string;
}

/** Runs `action` on each selected invitation and reports every row. */
export async function bulkPipeline(
  ctx: ServiceContext,
  admin: StaffUser,
  invitationIds: string[],
  action: BulkAction,
): Promise<BulkOutcome> {
  const ids = [...new Set(invitationIds)];
  if (!ids.length) throw new AppError('validation_failed', 'ids: select at least one row');
  if (ids.length > MAX_BULK_IDS)
    throw new AppError('validation_failed', `ids: at most ${MAX_BULK_IDS} rows at once`);
  const rows = await ctx.db
    .selectFrom('invitations as i')
    .leftJoin('attempts as a', 'a.invitation_id', 'i.id')
    .select(['i.id', 'a.id as attempt_id', 'a.status'])
    .where('i.id', 'in', ids)
    .where('i.purpose', '=', 'candidate')
    .orderBy('a.position')
    .execute();
  // An assessment invitation has one attempt per task opened: actions apply to each.
  const byId = new Map<string, Invitation>();
  for (const r of rows) {
    const inv = byId.get(r.id) ?? { id: r.id, attempts: [] };
    if (r.attempt_id) inv.attempts.push({ id: r.attempt_id, status: r.status! });
    byId.set(r.id, inv);
  }

  if (action.action === 'export') return exportRows(ctx, admin, ids, byId);

  const results: BulkRowResult[] = [];
  for (const id of ids) {
    const row = byId.get(id);
    if (!row) {
      results.push({ invitationId: id, ok: false, message: 'invitation not found' });
      continue;
    }
    try {
      results.push({ invitationId: id, ok: true, message: await one(ctx, admin, row, action) });
    } catch (err) {
      if (!(err instanceof AppError))
        ctx.logger.error({ err, invitationId: id }, 'bulk pipeline action failed');
      results.push({
        invitationId: id,
        ok: false,
        message: err instanceof AppError ? err.message : 'internal error; see the server log',
      });
    }
  }
  return summary(results);
}

interface Invitation {
  id: string;
  attempts: Array<{ id: string; status: string }>;
}

async function one(
  ctx: ServiceContext,
  admin: StaffUser,
  row: Invitation,
  action: Exclude<BulkAction, { action: 'export' }>,
): Promise<string> {
  switch (action.action) {
    case 'assign': {
      const submitted = row.attempts.filter((a) => a.status !== 'started');
      if (!submitted.length)
        throw new AppError('conflict', 'not submitted yet; reviewers are assigned to submissions');
      let added = 0;
      for (const a of submitted)
        added += (await assignReviewers(ctx, a.id, { reviewerIds: action.reviewerIds, assignedBy: admin.id }))
          .length;
      return added ? `assigned ${added} reviewer(s)` : 'already assigned';
    }
    case 'extend': {
      const inv = await extendInvitation(ctx, row.id, action.days);
      return `link valid until ${new Date(inv.expiresAt).toISOString()}`;
    }
    case 'revoke':
      await revokeInvitation(ctx, row.id);
      return 'revoked';
    case 'remind': {
      if (!ctx.mail?.enabled)
        throw new AppError(
          'conflict',
          'email is off on this server (no SMTP_URL): copy a fresh link from Invitations → Resend instead',
        );
      const r = await resendInvitation(ctx, row.id, { sendEmail: true });
      if (!r.emailed)
        throw new AppError('conflict', 'no email address on this invitation; copy the link instead');
      return 'emailed a fresh link (the old one stops working)';
    }
  }
}

async function exportRows(
  ctx: ServiceContext,
  admin: StaffUser,
  ids: string[],
  byId: Map<string, Invitation>,
): Promise<BulkOutcome> {
  const attemptIds = ids.flatMap((id) => (byId.get(id)?.attempts ?? []).map((a) => a.id));
  const result = await exportSubmissions(ctx, admin, { attemptIds });
  const exported = new Set(result.rows.map((r) => r.attemptId));
  const results = ids.map((id): BulkRowResult => {
    const row = byId.get(id);
    if (!row) return { invitationId: id, ok: false, message: 'invitation not found' };
    if (row.attempts.some((a) => exported.has(a.id)))
      return { invitationId: id, ok: true, message: 'exported' };
    return { invitationId: id, ok: false, message: 'not submitted yet; the export holds submissions' };
  });
  return { ...summary(results), csv: exportCsv(result) };
}

const summary = (results: BulkRowResult[]): BulkOutcome => ({
  results,
  succeeded: results.filter((r) => r.ok).length,
  failed: results.filter((r) => !r.ok).length,
});
