/**
 * Greenhouse Assessment Partner API, vendor side: Greenhouse lists our tests, sends one to a candidate
 * (an invitation), and polls its status. Stops anyone but the customer's Greenhouse account from
 * inviting candidates or reading results through these routes: every call needs HTTP Basic auth whose
 * username is an API token holding the `greenhouse` scope (verifyApiToken: hashed, expiry,
 * revocation); any other token, a wrong one or none is 401, before the body is read. Status answers
 * carry a score and links, never candidate code or reviewers' notes.
 */
import { z } from 'zod';
import { AppError } from '../errors/index.ts';
import type { ServiceContext } from '../platform/index.ts';
import { verifyApiToken, type ApiTokenActor } from '../api-tokens/index.ts';
import { createInvitation } from '../invitations/index.ts';
import { listTasks } from '../tasks/index.ts';

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

/** GET list_tests: every task (its newest version) Greenhouse may send. */
export async function listTests(ctx: ServiceContext) {
  return (await listTasks(ctx)).map((t) => ({ partner_test_id: t.slug, partner_test_name: t.title }));
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
      taskSlug: input.partner_test_id,
      candidateName: name,
      candidateEmail: input.candidate.email,
      ...(input.candidate.greenhouse_profile_url
        ? { externalId: input.candidate.greenhouse_profile_url.slice(0, 200) }
        : {}),
    },
    token.user.id,
  );
  const id = ctx.ids.id('ghi');
  await ctx.db
    .insertInto('greenhouse_interviews')
    .values({
      id,
      invitation_id: invitation.id,
      token_id: token.id,
      callback_url: input.url ?? null,
      created_at: ctx.clock.now(),
    })
    .execute();
  return { partner_interview_id: id };
}

/**
 * GET test_status: `sent` until the candidate starts, `in_progress` until the submission is graded
 * (or submitted, for tasks without hidden tests), then `complete` with the hidden tests' pass rate as
 * the score (0-100).
 */
export async function testStatus(ctx: ServiceContext, token: ApiTokenActor, interviewId: string) {
  const row = await ctx.db
    .selectFrom('greenhouse_interviews as g')
    .innerJoin('invitations as i', 'i.id', 'g.invitation_id')
    .innerJoin('task_versions as v', 'v.id', 'i.task_version_id')
    .leftJoin('attempts as a', 'a.invitation_id', 'i.id')
    .select([
      'g.id',
      'g.token_id',
      'i.id as invitation_id',
      'v.kind',
      'v.slug',
      'a.id as attempt_id',
      'a.status',
    ])
    .where('g.id', '=', interviewId)
    .executeTakeFirst();
  // Another customer's token (or a guessed id) sees the same answer as a missing interview.
  if (!row || row.token_id !== token.id) throw new AppError('not_found', 'no such partner_interview_id');
  const grade = row.attempt_id
    ? await ctx.db
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
  const base = ctx.config.publicUrl;
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
