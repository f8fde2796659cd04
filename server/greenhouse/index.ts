/**
 * Greenhouse Assessment Partner API, vendor side: Greenhouse lists our tests, sends one to a candidate
 * (an invitation), and polls its status. Stops anyone but the customer's Greenhouse account from
 * inviting candidates or reading results through these routes: every call needs HTTP Basic auth whose
 * username is an API token holding the `greenhouse` scope (verifyApiToken: hashed, expiry,
 * revocation); any other token, a wrong one or none is 401, before the body is read. Status answers
 * carry a score and links, never candidate code or reviewers' notes.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { verifyApiToken, type ApiTokenActor } from '../api-tokens/index.ts';
import { createInvitation } from '../invitations/index.ts';
import { listTasks } from '../tasks/index.ts';
import { listAssessments } from '../assessments/index.ts';
import { invitationSummary } from '../reviews/index.ts';
import { urlProblem, type FanOut } from '../webhooks/index.ts';
import type { Db } from '../db/index.ts';

/** Checks `Authorization: Basic base64(<token>:)`; answers the token or throws 401. */
export async function greenhouseAuth(
  ctx: ServiceContext,
  header: string | undefined,
): Promise<ApiTokenActor> {
  const m = /^Basic ([A-Za-z0-9+/=]{1,1000})$/.exec(header ?? '');
  const username = m ? Buffer.from(m[1]!, 'base64').toString('utf8').split(':')[0]! : '';
  const r = username ? await verifyApiToken(ctx, username, 'greenhouse') : undefined;
  if (!r?.ok)
    throw new AppError(
      'unauthenticated',
      'send an API token with the greenhouse scope as the Basic auth username',
    );
  return r.token;
}

/** Assessments are offered to Greenhouse as `assessment:<slug>` (task slugs never contain a colon). */
const ASSESSMENT_PREFIX = 'assessment:';

/** GET list_tests: every task and every assessment (newest versions) Greenhouse may send. */
export async function listTests(ctx: ServiceContext) {
  return [
    ...(await listTasks(ctx)).map((t) => ({ partner_test_id: t.slug, partner_test_name: t.title })),
    ...(await listAssessments(ctx)).map((a) => ({
      partner_test_id: `${ASSESSMENT_PREFIX}${a.slug}`,
      partner_test_name: a.title,
    })),
  ];
}

export const sendTestSchema = z.object({
  partner_test_id: z.string().min(1).max(64),
  candidate: z.object({
    first_name: z.string().trim().max(100).optional(),
    last_name: z.string().trim().max(100).optional(),
    email: z.string().max(254),
    greenhouse_profile_url: z.string().max(2000).optional(),
  }),
  /** Where to PATCH the status once the test is complete. */
  url: z.string().max(2000).optional(),
});

/** POST send_test: a new invitation to the test; answers its partner_interview_id. */
export async function sendTest(ctx: ServiceContext, token: ApiTokenActor, raw: unknown) {
  const parsed = sendTestSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new AppError('validation_failed', `${i.path.join('.')}: ${i.message}`);
  }
  const input = parsed.data;
  const name =
    [input.candidate.first_name, input.candidate.last_name].filter(Boolean).join(' ') ||
    input.candidate.email;
  const { invitation } = await createInvitation(
    ctx,
    {
      ...(input.partner_test_id.startsWith(ASSESSMENT_PREFIX)
        ? { assessmentSlug: input.partner_test_id.slice(ASSESSMENT_PREFIX.length) }
        : { taskSlug: input.partner_test_id }),
      candidateName: name,
      candidateEmail: input.candidate.email,
      ...(input.candidate.greenhouse_profile_url
        ? { externalId: input.candidate.greenhouse_profile_url.slice(0, 200) }
        : {}),
    },
    token.user.id,
  );
  if (input.url && urlProblem(input.url))
    throw new AppError('validation_failed', `url: ${urlProblem(input.url)}`);
  const id = ctx.ids.id('ghi');
  const now = ctx.clock.now();
  const endpointId = input.url ? ctx.ids.id('whe') : null;
  await ctx.db.transaction().execute(async (trx) => {
    if (input.url && endpointId)
      // The completion PATCH rides the webhook queue (retries, log, SSRF guard) on a hidden endpoint.
      await trx
        .insertInto('webhook_endpoints')
        .values({
          id: endpointId,
          url: input.url,
          description: `Greenhouse callback for ${id}`,
          events_json: '[]',
          enabled: 1,
          secret: `whsec_${randomBytes(32).toString('base64url')}`,
          previous_secret: null,
          previous_secret_until: null,
          consecutive_failures: 0,
          disabled_reason: null,
          created_by: token.user.id,
          created_at: now,
          updated_at: now,
          kind: 'greenhouse',
          method: 'PATCH',
        })
        .execute();
    await trx
      .insertInto('greenhouse_interviews')
      .values({
        id,
        invitation_id: invitation.id,
        token_id: token.id,
        callback_url: input.url ?? null,
        endpoint_id: endpointId,
        created_at: now,
      })
      .execute();
  });
  return { partner_interview_id: id };
}

/**
 * GET test_status: `sent` until the candidate starts, `in_progress` until the submission is graded
 * (or submitted, for tasks without hidden tests), then `complete` with the hidden tests' pass rate as
 * the score (0-100).
 */
export async function testStatus(ctx: ServiceContext, token: ApiTokenActor, interviewId: string) {
  const owner = await ctx.db
    .selectFrom('greenhouse_interviews')
    .select('token_id')
    .where('id', '=', interviewId)
    .executeTakeFirst();
  // Another customer's token (or a guessed id) sees the same answer as a missing interview.
  if (!owner || owner.token_id !== token.id) throw new AppError('not_found', 'no such partner_interview_id');
  return statusOf(ctx, ctx.db, interviewId);
}

/** The test_status body of an interview (also the body of the completion PATCH). */
async function statusOf(ctx: ServiceContext, db: Db, interviewId: string) {
  const base = ctx.config.publicUrl;
  const inv = await db
    .selectFrom('greenhouse_interviews as g')
    .innerJoin('invitations as i', 'i.id', 'g.invitation_id')
    .select(['i.id', 'i.assessment_version_id'])
    .where('g.id', '=', interviewId)
    .executeTakeFirstOrThrow();
  if (inv.assessment_version_id) return assessmentStatusOf({ ...ctx, db }, inv.id);
  const row = await db
    .selectFrom('greenhouse_interviews as g')
    .innerJoin('invitations as i', 'i.id', 'g.invitation_id')
    .innerJoin('task_versions as v', 'v.id', 'i.task_version_id')
    .leftJoin('attempts as a', 'a.invitation_id', 'i.id')
    .select(['i.id as invitation_id', 'v.kind', 'v.slug', 'a.id as attempt_id', 'a.status'])
    .where('g.id', '=', interviewId)
    .executeTakeFirstOrThrow();
  const grade = row.attempt_id
    ? await db
        .selectFrom('grades')
        .select(['status', 'verdict', 'passed', 'failed'])
        .where('attempt_id', '=', row.attempt_id)
        .where('superseded_at', 'is', null)
        .executeTakeFirst()
    : undefined;
  const submitted = row.status === 'submitted' || row.status === 'graded';
  const graded = grade?.status === 'done' || grade?.status === 'failed';
  const complete = submitted && (row.kind !== 'code' || graded);
  const total = (grade?.passed ?? 0) + (grade?.failed ?? 0);
  return {
    partner_status: complete ? 'complete' : row.attempt_id ? 'in_progress' : 'sent',
    partner_profile_url: row.attempt_id
      ? `${base}/review/${encodeURIComponent(row.attempt_id)}`
      : `${base}/admin/invitations`,
    partner_score:
      complete && grade?.status === 'done' && total > 0 ? Math.round((100 * grade.passed) / total) : null,
    metadata: {
      task: row.slug,
      invitation_id: row.invitation_id,
      attempt_id: row.attempt_id ?? null,
      verdict: grade?.verdict ?? null,
    },
  };
}

/**
 * The completion PATCH: for a submission or grading of an attempt Greenhouse sent, once its status
 * is complete, one webhook event (the test_status body) and one delivery to the interview's hidden
 * PATCH endpoint, in the tailer's transaction (wired in server/services/).
 */
export function greenhouseCompletion(ctx: ServiceContext): FanOut {
  return async (trx, row, source) => {
    if (row.type !== 'attempt.graded' && row.type !== 'attempt.submitted') return 0;
    const g = await trx
      .selectFrom('greenhouse_interviews as g')
      .innerJoin('attempts as a', 'a.invitation_id', 'g.invitation_id')
      .select(['g.id', 'g.endpoint_id'])
      .where('a.id', '=', row.attempt_id)
      .executeTakeFirst();
    if (!g?.endpoint_id) return 0;
    const key = `greenhouse:${source}`;
    if (await trx.selectFrom('webhook_events').select('id').where('source', '=', key).executeTakeFirst())
      return 0;
    const status = await statusOf(ctx, trx, g.id);
    if (status.partner_status !== 'complete') return 0;
    const now = ctx.clock.now();
    const eventId = ctx.ids.id('evt');
    await trx
      .insertInto('webhook_events')
      .values({
        id: eventId,
        type: 'greenhouse.complete',
        source: key,
        occurred_at: row.at,
        body: JSON.stringify(status),
        created_at: now,
      })
      .execute();
    await trx
      .insertInto('webhook_deliveries')
      .values({
        id: ctx.ids.id('whd'),
        endpoint_id: g.endpoint_id,
        event_id: eventId,
        status: 'pending',
        tries: 0,
        next_attempt_at: now,
        last_status: null,
        last_error: null,
        created_at: now,
        finished_at: null,
      })
      .execute();
    return 1;
  };
}

/**
 * test_status of an assessment: `sent` until the candidate starts, `in_progress` while a task is open
 * (or code tasks wait for their grading), then `complete` with the weighted overall (0-100; null until
 * every task has a score — a task without hidden tests is scored by its reviews).
 */
async function assessmentStatusOf(ctx: ServiceContext, invitationId: string) {
  const s = await invitationSummary(ctx, invitationId);
  const inv = await ctx.db
    .selectFrom('invitations')
    .select(['assessment_started_at'])
    .where('id', '=', invitationId)
    .executeTakeFirstOrThrow();
  const attempts = s.tasks.filter((t) => t.attemptId !== null);
  const begun = attempts.length > 0 || inv.assessment_started_at != null;
  const settled = s.tasks.every((t) => t.status !== 'started' && t.status !== 'not_started');
  const grading = await ctx.db
    .selectFrom('attempts as a')
    .innerJoin('task_versions as v', 'v.id', 'a.task_version_id')
    .leftJoin('grades as g', (j) => j.onRef('g.attempt_id', '=', 'a.id').on('g.superseded_at', 'is', null))
    .select(['v.kind', 'g.status'])
    .where('a.invitation_id', '=', invitationId)
    .execute();
  const graded = grading.every((r) => r.kind !== 'code' || r.status === 'done' || r.status === 'failed');
  const complete = attempts.length > 0 && settled && graded;
  const first = attempts[0]?.attemptId ?? null;
  return {
    partner_status: complete ? 'complete' : begun ? 'in_progress' : 'sent',
    partner_profile_url: `${ctx.config.publicUrl}/admin/invitations/${encodeURIComponent(invitationId)}`,
    partner_score:
      complete && s.overall.weightedScore !== null ? Math.round(100 * s.overall.weightedScore) : null,
    metadata: {
      task: `${ASSESSMENT_PREFIX}${s.assessment!.slug}`,
      invitation_id: invitationId,
      attempt_id: first,
      verdict: null,
      tasks: s.tasks.map((t) => ({
        position: t.position,
        task: t.taskSlug,
        status: t.status,
        attempt_id: t.attemptId,
        score: t.score === null ? null : Math.round(100 * t.score),
      })),
    },
  };
}
