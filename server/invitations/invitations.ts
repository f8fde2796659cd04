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
import {
  attemptsOfInvitation,
  noteDeviceForInvitation,
  viewAttempt,
  type AttemptView,
  type DeviceSeen,
} from '../attempts/index.ts';
import { queueInvitationEmail } from '../email/index.ts';
import {
  getAssessmentVersion,
  resolveAssessmentVersion,
  type AssessmentVersion,
  assessmentDeadline,
  assessmentOver,
  type StoredAssessment,
} from '../assessments/index.ts';

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
  /** The assessment this invitation pins (its tasks' attempts share the invitation), or null: one task. */
  assessment: InvitationAssessment | null;
}

export interface InvitationAssessment {
  slug: string;
  version: number;
  assessmentVersionId: string;
  title: string;
  taskCount: number;
}

/** An ATS's candidate or application id: any printable text, no control or invisible characters. */
export const externalIdSchema = z
  .string()
  .trim()
  .min(1, { message: 'external id is empty' })
  .max(200, { message: 'external id is too long' })
  .regex(/^[^\p{Cc}\p{Cf}]+$/u, { message: 'external id has control or invisible characters' });

export const newInvitationSchema = z.object({
  /** Exactly one of taskSlug and assessmentSlug. */
  taskSlug: z.string().min(1, { message: 'task slug is required' }).optional(),
  taskVersion: z.number().int().positive().optional(),
  assessmentSlug: z.string().min(1, { message: 'assessment slug is required' }).optional(),
  assessmentVersion: z.number().int().positive().optional(),
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

/** What an invitation pins: a task version, or an assessment version (and its first task's version). */
export interface Pinned {
  version: TaskVersionsTable;
  assessment: AssessmentVersion | null;
}

/** Resolves `taskSlug` or `assessmentSlug` (exactly one) to the versions a new invitation pins. */
export async function resolvePinned(
  ctx: ServiceContext,
  input: {
    taskSlug?: string | undefined;
    taskVersion?: number | undefined;
    assessmentSlug?: string | undefined;
    assessmentVersion?: number | undefined;
  },
): Promise<Pinned> {
  if ((input.taskSlug === undefined) === (input.assessmentSlug === undefined))
    throw new AppError('validation_failed', 'give exactly one of taskSlug and assessmentSlug');
  if (input.taskSlug !== undefined)
    return { version: await resolveVersion(ctx, input.taskSlug, input.taskVersion), assessment: null };
  const assessment = await resolveAssessmentVersion(ctx, input.assessmentSlug!, input.assessmentVersion);
  const version = await getVersion(ctx, assessment.manifest.tasks[0]!.taskVersionId);
  return { version, assessment };
}

export function assessmentOf(a: AssessmentVersion | null): InvitationAssessment | null {
  return a
    ? {
        slug: a.slug,
        version: a.version,
        assessmentVersionId: a.id,
        title: a.title,
        taskCount: a.manifest.tasks.length,
      }
    : null;
}

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
  assessmentVersionId: string | null = null,
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
    assessment_version_id: assessmentVersionId,
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
  const { version, assessment } = await resolvePinned(ctx, input);
  const { row, token } = invitationRow(ctx, version, input, createdBy, purpose, assessment?.id ?? null);
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
  // Attempts are counted per invitation (an assessment has one per task): no row per attempt.
  const attempts = (status?: 'started' | 'graded') => (eb: any) => {
    let q = eb
      .selectFrom('attempts as x')
      .select((e: any) => e.fn.countAll().as('n'))
      .whereRef('x.invitation_id', '=', 'i.id');
    if (status) q = q.where('x.status', '=', status);
    return q;
  };
  let q = ctx.db
    .selectFrom('invitations as i')
    .innerJoin('task_versions as v', 'v.id', 'i.task_version_id')
    .leftJoin('assessment_versions as av', 'av.id', 'i.assessment_version_id')
    .select((eb) => [
      'i.id',
      'i.candidate_name',
      'i.candidate_email',
      'i.created_at',
      'i.expires_at',
      'i.revoked_at',
      'i.task_version_id',
      'i.external_id',
      'i.assessment_started_at',
      'i.assessment_submitted_at',
      'v.slug',
      'v.version',
      'av.id as av_id',
      'av.slug as av_slug',
      'av.version as av_version',
      'av.title as av_title',
      'av.manifest_json as av_manifest',
      eb
        .selectFrom('attempts as x')
        .select('x.id')
        .whereRef('x.invitation_id', '=', 'i.id')
        .orderBy('x.position')
        .limit(1)
        .as('attempt_id'),
      eb
        .selectFrom('attempts as x')
        .select('x.status')
        .whereRef('x.invitation_id', '=', 'i.id')
        .orderBy('x.position')
        .limit(1)
        .as('attempt_status'),
      attempts()(eb).as('n_attempts'),
      attempts('started')(eb).as('n_started'),
      attempts('graded')(eb).as('n_graded'),
    ])
    .orderBy('i.created_at', 'desc');
  if (id) q = q.where('i.id', '=', id);
  else q = q.where('i.purpose', '=', 'candidate');
  if (filter.externalId !== undefined) q = q.where('i.external_id', '=', filter.externalId);
  const now = ctx.clock.now();
  const rows = await q.execute();
  const manifests = new Map<string, StoredAssessment>();
  return rows.map((r) => {
    let assessment: InvitationAssessment | null = null;
    let status: InvitationStatus;
    const n = Number(r.n_attempts ?? 0);
    if (r.av_id && r.av_manifest) {
      let m = manifests.get(r.av_id);
      if (!m) manifests.set(r.av_id, (m = JSON.parse(r.av_manifest) as StoredAssessment));
      assessment = {
        slug: r.av_slug!,
        version: r.av_version!,
        assessmentVersionId: r.av_id,
        title: r.av_title!,
        taskCount: m.tasks.length,
      };
      status = assessmentStatus(
        {
          revokedAt: r.revoked_at,
          expiresAt: r.expires_at,
          startedAt: r.assessment_started_at ?? null,
          submittedAt: r.assessment_submitted_at ?? null,
          attempts: n,
          started: Number(r.n_started ?? 0),
          graded: Number(r.n_graded ?? 0),
        },
        m,
        now,
      );
    } else
      status =
        r.revoked_at !== null && !r.attempt_id
          ? 'revoked'
          : r.attempt_status
            ? (r.attempt_status as InvitationStatus)
            : r.expires_at <= now
              ? 'expired'
              : 'invited';
    return {
      id: r.id,
      candidateName: r.candidate_name,
      candidateEmail: r.candidate_email,
      taskSlug: r.slug,
      taskVersion: r.version,
      taskVersionId: r.task_version_id,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      attemptId: (r.attempt_id as string | null) ?? null,
      externalId: r.external_id ?? null,
      status,
      assessment,
    };
  });
}

/**
 * An assessment invitation's status as one word: started while the candidate can still work on it
 * (a task open, or the overall clock running with tasks left), then submitted, graded once every
 * attempted task is graded.
 */
export function assessmentStatus(
  s: {
    revokedAt: number | null;
    expiresAt: number;
    startedAt: number | null;
    submittedAt: number | null;
    attempts: number;
    started: number;
    graded: number;
  },
  m: StoredAssessment,
  now: number,
): InvitationStatus {
  const begun = s.startedAt !== null || s.attempts > 0;
  if (!begun) return s.revokedAt !== null ? 'revoked' : s.expiresAt <= now ? 'expired' : 'invited';
  if (s.started > 0) return 'started';
  const deadline =
    m.clock === 'overall' && s.startedAt !== null ? s.startedAt + m.timeLimitMinutes! * 60_000 : null;
  const over =
    s.submittedAt !== null ||
    s.attempts >= m.tasks.length ||
    (deadline !== null && now >= deadline) ||
    (m.clock === 'per-task' && s.expiresAt <= now);
  if (!over) return 'started';
  return s.attempts > 0 && s.graded === s.attempts ? 'graded' : 'submitted';
}

export async function revokeInvitation(ctx: ServiceContext, id: string): Promise<InvitationView> {
  const [inv] = await listInvitations(ctx, id);
  if (!inv) throw new AppError('not_found', 'invitation not found');
  if (inv.attemptId || (inv.assessment && !['invited', 'expired', 'revoked'].includes(inv.status)))
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
    .orderBy('position')
    .executeTakeFirst();
  if (attempt && device) await noteDeviceForInvitation(ctx, inv.id, device);
  // An assessment whose overall clock runs is started even before its first task attempt.
  if (!attempt && inv.assessment_started_at == null) {
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

export interface CandidateTaskFacts {
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
}

export type AssessmentTaskStatus = 'not_started' | 'started' | 'submitted' | 'not_attempted';

/** An assessment as its candidate sees it: the intro, the clock, and every task's state. */
export interface CandidateAssessment {
  title: string;
  introMarkdown: string;
  clock: 'overall' | 'per-task';
  timeLimitMinutes: number | null;
  startedAt: number | null;
  deadlineAt: number | null;
  /** The task position this browser (session) is on; null: the intro/overview page. */
  current: number | null;
  submittedAll: boolean;
  tasks: Array<{
    position: number;
    title: string;
    summary: string;
    kind: TaskManifest['kind'];
    timeLimitMinutes: number;
    weight: number;
    status: AssessmentTaskStatus;
    attemptId: string | null;
    deadlineAt: number | null;
    submitReason: 'candidate' | 'deadline' | null;
  }>;
}

export interface CandidateView {
  candidateName: string;
  /** The task at the assessment's current position (its first when on the overview), or the one task. */
  task: CandidateTaskFacts;
  invitation: { expiresAt: number; status: InvitationStatus };
  attempt: AttemptView | null;
  assessment: CandidateAssessment | null;
  serverNow: number;
}

function taskFacts(
  version: TaskVersionsTable & { manifest: TaskManifest },
  started: boolean,
): CandidateTaskFacts {
  const m = version.manifest;
  return {
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
    ...(started ? { statement: version.statement_md } : {}),
  };
}

/**
 * What the candidate sees: task facts, the rubric when the author allows it, and their attempt; for an
 * assessment, the task at `current` (the session's position) and the assessment block.
 */
export async function candidateView(
  ctx: ServiceContext,
  invitationId: string,
  current: number | null = null,
): Promise<CandidateView> {
  const [inv] = await listInvitations(ctx, invitationId);
  if (!inv) throw new AppError('not_found', 'invitation not found');
  const attempts = await attemptsOfInvitation(ctx.db, invitationId);
  const base = {
    candidateName: inv.candidateName,
    invitation: { expiresAt: inv.expiresAt, status: inv.status },
  };
  if (!inv.assessment) {
    const version = await getVersion(ctx, inv.taskVersionId);
    const attempt = attempts[0];
    return {
      ...base,
      task: taskFacts(version, attempt !== undefined),
      attempt: attempt ? viewAttempt(ctx, attempt) : null,
      assessment: null,
      serverNow: ctx.clock.now(),
    };
  }
  const av = await getAssessmentVersion(ctx, inv.assessment.assessmentVersionId);
  const row = await ctx.db
    .selectFrom('invitations')
    .selectAll()
    .where('id', '=', invitationId)
    .executeTakeFirstOrThrow();
  const m = av.manifest;
  const now = ctx.clock.now();
  const over = assessmentOver(row, m, attempts, now);
  const pos = current !== null && current >= 0 && current < m.tasks.length ? current : null;
  const shownTask = m.tasks[pos ?? 0]!;
  const attempt = attempts.find((a) => (a.position ?? 0) === shownTask.position);
  const byPosition = new Map(attempts.map((a) => [a.position ?? 0, a]));
  return {
    ...base,
    task: taskFacts(await getVersion(ctx, shownTask.taskVersionId), attempt !== undefined),
    attempt: attempt ? viewAttempt(ctx, attempt) : null,
    assessment: {
      title: m.title,
      introMarkdown: m.intro,
      clock: m.clock,
      timeLimitMinutes: m.timeLimitMinutes,
      startedAt: row.assessment_started_at ?? null,
      deadlineAt: assessmentDeadline(row, m),
      current: pos,
      submittedAll:
        row.assessment_submitted_at != null ||
        (attempts.length >= m.tasks.length && attempts.every((a) => a.status !== 'started')),
      tasks: m.tasks.map((t) => {
        const a = byPosition.get(t.position);
        return {
          position: t.position,
          title: t.title,
          summary: t.summary,
          kind: t.kind,
          timeLimitMinutes: m.clock === 'overall' ? m.timeLimitMinutes! : t.timeLimitMinutes,
          weight: t.weight,
          status: a
            ? a.status === 'started'
              ? 'started'
              : 'submitted'
            : over
              ? 'not_attempted'
              : 'not_started',
          attemptId: a?.id ?? null,
          deadlineAt: a?.deadline_at ?? null,
          submitReason: a?.submit_reason ?? null,
        };
      }),
    },
    serverNow: now,
  };
}
