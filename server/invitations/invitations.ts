/**
 * Invitations: how a candidate gets in without an account. Stops link guessing and database-leak
 * replay: the token is 256 random bits and only its sha256 is stored; the link is shown once.
 * Opening the link trades the token for a candidate session bound to this one invitation.
 */
import { z } from 'zod';
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import type { InvitationsTable, TaskVersionsTable } from '../db/index.ts';
import { createSession, hashSecret, type NewSession } from '../auth/index.ts';
import { emailSchema } from '../users/index.ts';
import { getVersion, resolveVersion, terminalEnabled } from '../tasks/index.ts';
import type { TaskManifest } from '../tasks/index.ts';
import { noteDevice, viewAttempt, type AttemptView, type DeviceSeen } from '../attempts/index.ts';
import { queueInvitationEmail } from '../email/index.ts';

export const DAY_MS = 86_400_000;

export type InvitationStatus = 'invited' | 'started' | 'submitted' | 'graded' | 'expired' | 'revoked';

export interface InvitationView {
  id: string;
  candidateName: string;
  candidateEmail: string;
  taskSlug: string;
  taskVersion: number;
  taskVersionId: string;
  createdAt: number;
  expiresAt: number;
  status: InvitationStatus;
  attemptId: string | null;
  /** The applicant tracking system's id for this candidate or application. */
  externalId: string | null;
}

/** An ATS's candidate or application id: any printable text, no control or invisible characters. */
export const externalIdSchema = z
  .string()
  .trim()
  .min(1, { message: 'external id is empty' })
  .max(200, { message: 'external id is too long' })
  .regex(/^[^\p{Cc}\p{Cf}]+$/u, { message: 'external id has control or invisible characters' });

export const newInvitationSchema = z.object({
  taskSlug: z.string().min(1, { message: 'task slug is required' }),
  taskVersion: z.number().int().positive().optional(),
  candidateName: z
    .string()
    .trim()
    .min(1, { message: 'candidate name is required' })
    .max(200, { message: 'candidate name is too long' }),
  candidateEmail: emailSchema,
  expiresInDays: z
    .number()
    .positive({ message: 'expected a positive number of days' })
    .max(365, { message: 'at most 365 days' })
    .optional(),
  externalId: externalIdSchema.optional(),
  /** Email the link (when SMTP_URL is set); default true. */
  sendEmail: z.boolean().optional(),
});
export type NewInvitation = z.infer<typeof newInvitationSchema>;

export const invitationLink = (ctx: ServiceContext, token: string) => `${ctx.config.publicUrl}/i/${token}`;

/**
 * A new invitation row for a resolved task version, and the token for its link (returned once,
 * never stored). Shared by single and bulk invites so both hash and expire the same way.
 */
export function invitationRow(
  ctx: ServiceContext,
  version: Pick<TaskVersionsTable, 'id'>,
  input: {
    candidateName: string;
    candidateEmail: string;
    expiresInDays?: number | undefined;
    externalId?: string | undefined;
  },
  createdBy: string | null,
  purpose: InvitationsTable['purpose'] = 'candidate',
): { row: InvitationsTable; token: string } {
  // 0 days is not "the default": a link valid for no time is a mistake to report, never 14 days.
  const days = input.expiresInDays;
  if (days !== undefined && !(Number.isFinite(days) && days > 0))
    throw new AppError('validation_failed', 'expiresInDays: expected a positive number of days');
  const token = ctx.ids.secret();
  const now = ctx.clock.now();
  const row: InvitationsTable = {
    id: ctx.ids.id('inv'),
    token_hash: hashSecret(token),
    task_version_id: version.id,
    candidate_name: input.candidateName,
    candidate_email: input.candidateEmail,
    created_by: createdBy,
    created_at: now,
    expires_at: now + (days !== undefined ? days * DAY_MS : ctx.config.invitationTtlMs),
    revoked_at: null,
    purpose,
    external_id: input.externalId ?? null,
    opened_at: null,
  };
  return { row, token };
}

export async function createInvitation(
  ctx: ServiceContext,
  raw: NewInvitation,
  createdBy: string | null,
  /** 'verify' for task verification's own attempts (kept out of lists, reviews and exports). */
  purpose: InvitationsTable['purpose'] = 'candidate',
): Promise<{ invitation: InvitationView; link: string; emailed: boolean }> {
  const parsed = newInvitationSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new AppError('validation_failed', `${i.path.join('.')}: ${i.message}`);
  }
  const input = parsed.data;
  const version = await resolveVersion(ctx, input.taskSlug, input.taskVersion);
  const { row, token } = invitationRow(ctx, version, input, createdBy, purpose);
  const link = invitationLink(ctx, token);
  // The email is queued with the row: every caller (UI, CLI, API) gets it, and never one without the other.
  const emailed = await ctx.db.transaction().execute(async (trx) => {
    await trx.insertInto('invitations').values(row).execute();
    if (input.sendEmail === false || purpose !== 'candidate') return false;
    return queueInvitationEmail(ctx, trx, { invitationId: row.id, link, kind: 'invitation' });
  });
  if (emailed) ctx.mail?.kick();
  return { invitation: (await listInvitations(ctx, row.id))[0]!, link, emailed };
}

/** Lists invitations with derived status; pass an id to get one, or filter by the ATS's id. */
export async function listInvitations(
  ctx: ServiceContext,
  id?: string,
  filter: { externalId?: string | undefined } = {},
): Promise<InvitationView[]> {
  let q = ctx.db
    .selectFrom('invitations as i')
    .innerJoin('task_versions as v', 'v.id', 'i.task_version_id')
    .leftJoin('attempts as a', 'a.invitation_id', 'i.id')
    .select([
      'i.id',
      'i.candidate_name',
      'i.candidate_email',
      'i.created_at',
      'i.expires_at',
      'i.revoked_at',
      'i.task_version_id',
      'i.external_id',
      'v.slug',
      'v.version',
      'a.id as attempt_id',
      'a.status as attempt_status',
    ])
    .orderBy('i.created_at', 'desc');
  if (id) q = q.where('i.id', '=', id);
  else q = q.where('i.purpose', '=', 'candidate');
  if (filter.externalId !== undefined) q = q.where('i.external_id', '=', filter.externalId);
  const now = ctx.clock.now();
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    candidateName: r.candidate_name,
    candidateEmail: r.candidate_email,
    taskSlug: r.slug,
    taskVersion: r.version,
    taskVersionId: r.task_version_id,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    attemptId: r.attempt_id ?? null,
    externalId: r.external_id ?? null,
    status:
      r.revoked_at !== null && !r.attempt_id
        ? 'revoked'
        : r.attempt_status
          ? r.attempt_status
          : r.expires_at <= now
            ? 'expired'
            : 'invited',
  }));
}

export async function revokeInvitation(ctx: ServiceContext, id: string): Promise<InvitationView> {
  const [inv] = await listInvitations(ctx, id);
  if (!inv) throw new AppError('not_found', 'invitation not found');
  if (inv.attemptId)
    throw new AppError('conflict', 'the candidate already started; an attempt in progress cannot be revoked');
  await ctx.db
    .updateTable('invitations')
    .set({ revoked_at: ctx.clock.now() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
  return (await listInvitations(ctx, id))[0]!;
}

/**
 * Trades an invitation token for a candidate session. The link keeps working until it expires
 * unstarted or is revoked, so a candidate who switches browsers can get back in.
 */
export async function openInvitation(
  ctx: ServiceContext,
  token: string,
  /** The browser opening the link: recorded on a started attempt, refused when the task is locked to another. */
  device?: DeviceSeen,
): Promise<NewSession & { invitationId: string }> {
  if (typeof token !== 'string' || token.length < 20 || token.length > 200) {
    throw new AppError(
      'not_found',
      'this invitation link is not valid; check that you copied the whole link',
    );
  }
  const inv = await ctx.db
    .selectFrom('invitations')
    .selectAll()
    .where('token_hash', '=', hashSecret(token))
    .executeTakeFirst();
  if (!inv)
    throw new AppError(
      'not_found',
      'this invitation link is not valid; check that you copied the whole link',
    );
  const attempt = await ctx.db
    .selectFrom('attempts')
    .selectAll()
    .where('invitation_id', '=', inv.id)
    .executeTakeFirst();
  if (attempt && device) await noteDevice(ctx, attempt, device);
  if (!attempt) {
    if (inv.revoked_at !== null)
      throw new AppError('invitation_revoked', 'this invitation was withdrawn; contact the hiring team');
    if (inv.expires_at <= ctx.clock.now()) {
      throw new AppError(
        'invitation_expired',
        'this invitation expired before it was started; ask the hiring team for a new link',
      );
    }
  }
  if (inv.opened_at == null) await noteOpened(ctx, inv.id);
  const session = await createSession(ctx, { kind: 'candidate', invitationId: inv.id });
  return { ...session, invitationId: inv.id };
}

/**
 * The candidate's first opening of the link: `opened_at` and an `invitation.opened` event (tailed by
 * webhooks) in one transaction; the conditional UPDATE makes it happen once however many tabs race.
 */
async function noteOpened(ctx: ServiceContext, invitationId: string) {
  const at = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('invitations')
      .set({ opened_at: at })
      .where('id', '=', invitationId)
      .where('opened_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return;
    await trx
      .insertInto('invitation_events')
      .values({ invitation_id: invitationId, at, type: 'invitation.opened', payload_json: '{}' })
      .execute();
  });
}

export interface CandidateView {
  candidateName: string;
  task: {
    title: string;
    summary: string;
    kind: TaskManifest['kind'];
    timeLimitMinutes: number;
    /** Whether the workspace has a Terminal panel (a shell in the sandbox, recorded for reviewers). */
    terminal: boolean;
    llm: {
      enabled: boolean;
      models: string[];
      assistant: 'off' | 'chat';
      budget?: NonNullable<TaskManifest['llm']>['budget'];
    };
    rubric?: TaskManifest['rubric']['criteria'];
    /** The statement is shown once the attempt has started. */
    statement?: string;
  };
  invitation: { expiresAt: number; status: InvitationStatus };
  attempt: AttemptView | null;
  serverNow: number;
}

/** What the candidate sees: task facts, the rubric when the author allows it, and their attempt. */
export async function candidateView(ctx: ServiceContext, invitationId: string): Promise<CandidateView> {
  const [inv] = await listInvitations(ctx, invitationId);
  if (!inv) throw new AppError('not_found', 'invitation not found');
  const version = await getVersion(ctx, inv.taskVersionId);
  const attempt = await ctx.db
    .selectFrom('attempts')
    .selectAll()
    .where('invitation_id', '=', invitationId)
    .executeTakeFirst();
  const m = version.manifest;
  return {
    candidateName: inv.candidateName,
    task: {
      title: m.title,
      summary: m.summary,
      kind: m.kind,
      timeLimitMinutes: m.timeLimitMinutes,
      terminal: terminalEnabled(m),
      llm: {
        enabled: m.llm?.enabled ?? false,
        models: (m.llm?.models ?? []).map((x) => x.alias),
        assistant: m.llm?.assistant ?? 'off',
        budget: m.llm?.budget,
      },
      ...(m.rubric.visibleToCandidate ? { rubric: m.rubric.criteria } : {}),
      ...(attempt ? { statement: version.statement_md } : {}),
    },
    invitation: { expiresAt: inv.expiresAt, status: inv.status },
    attempt: attempt ? viewAttempt(ctx, attempt) : null,
    serverNow: ctx.clock.now(),
  };
}
