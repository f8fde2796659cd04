/** The candidate's own invitation: what they see before and after starting, and the Start button. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  candidateView,
  selectTask,
  startAssessment,
  startCurrentTask,
  submitAssessment,
} from '../../invitations/index.ts';
import { noteDevice, noteDeviceForInvitation, startAttempt, viewAttempt } from '../../attempts/index.ts';
import { deviceOf, rememberDevice } from '../device.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { requireCandidate } from '../auth.ts';
import { rubricCriterionSchema } from '../schemas/reviews.ts';

export const attemptSchema = z
  .object({
    id: z.string(),
    status: z.enum(['started', 'submitted', 'graded']),
    taskVersionId: z.string(),
    startedAt: z.number(),
    deadlineAt: z.number(),
    submittedAt: z.number().nullable(),
    submitReason: z.enum(['candidate', 'deadline']).nullable(),
    writable: z.boolean(),
    serverNow: z.number(),
    position: z
      .number()
      .int()
      .describe("the task's place in its assessment (0 for a single-task invitation)"),
  })
  .openapi('Attempt');

export const budgetSchema = z
  .object({
    maxRequests: z.number(),
    maxTotalTokens: z.number(),
    maxConcurrent: z.number(),
    requestsPerMinute: z.number(),
  })
  .openapi('LlmBudget');

export const candidateAssessmentSchema = z
  .object({
    title: z.string(),
    introMarkdown: z.string(),
    clock: z.enum(['overall', 'per-task']),
    timeLimitMinutes: z.number().nullable().describe('overall clock only'),
    startedAt: z.number().nullable().describe('when Start was pressed on the intro page'),
    deadlineAt: z.number().nullable().describe('overall clock: startedAt + timeLimitMinutes'),
    current: z.number().int().nullable().describe('the task position this session is on; null: the overview'),
    submittedAll: z.boolean().describe('Submit all was pressed, or every task is submitted'),
    tasks: z.array(
      z.object({
        position: z.number().int(),
        title: z.string(),
        summary: z.string(),
        kind: z.enum(['code', 'critique', 'written']),
        timeLimitMinutes: z.number(),
        weight: z.number(),
        status: z.enum(['not_started', 'started', 'submitted', 'not_attempted']),
        attemptId: z.string().nullable(),
        deadlineAt: z.number().nullable(),
        submitReason: z.enum(['candidate', 'deadline']).nullable(),
      }),
    ),
  })
  .openapi('CandidateAssessment');

export const candidateSchema = z
  .object({
    candidateName: z.string(),
    task: z.object({
      title: z.string(),
      summary: z.string(),
      kind: z.enum(['code', 'critique', 'written']),
      timeLimitMinutes: z.number(),
      terminal: z.boolean().openapi({
        description: 'whether the workspace has a Terminal panel (a recorded shell in the sandbox)',
      }),
      llm: z.object({
        enabled: z.boolean(),
        models: z.array(z.string()),
        /** Whether the workspace offers the IDE assistant (its turns are recorded for reviewers). */
        assistant: z.enum(['off', 'chat']),
        budget: budgetSchema.optional(),
      }),
      rubric: z.array(rubricCriterionSchema).optional(),
      statement: z.string().optional(),
    }),
    invitation: z.object({ expiresAt: z.number(), status: z.string() }),
    attempt: attemptSchema.nullable(),
    assessment: candidateAssessmentSchema
      .nullable()
      .describe('null for a single-task invitation; task and attempt then describe the current task'),
    serverNow: z.number(),
    csrfToken: z.string(),
  })
  .openapi('CandidateView');

const assessmentStart = createRoute({
  method: 'post',
  path: '/api/candidate/assessment/start',
  tags: ['candidate'],
  summary: 'Start the assessment on its intro page (overall clock: the clock starts; idempotent)',
  responses: {
    200: { description: 'view', content: { 'application/json': { schema: candidateSchema } } },
    ...errorResponses(400, 401, 403, 409, 410),
  },
});

const assessmentSelect = createRoute({
  method: 'post',
  path: '/api/candidate/assessment/select',
  tags: ['candidate'],
  summary:
    "Move this session to a task (null: the overview); overall clock: opening a task starts its attempt with the assessment's deadline",
  request: {
    body: {
      required: true,
      content: {
        'application/json': { schema: z.object({ position: z.number().int().min(0).max(1000).nullable() }) },
      },
    },
  },
  responses: {
    200: { description: 'view', content: { 'application/json': { schema: candidateSchema } } },
    ...errorResponses(400, 401, 403, 409, 410),
  },
});

const assessmentSubmit = createRoute({
  method: 'post',
  path: '/api/candidate/assessment/submit',
  tags: ['candidate'],
  summary: 'Submit all: every open task attempt is submitted, tasks never opened are not attempted',
  responses: {
    200: { description: 'view', content: { 'application/json': { schema: candidateSchema } } },
    ...errorResponses(400, 401, 403),
  },
});

const get = createRoute({
  method: 'get',
  path: '/api/candidate',
  tags: ['candidate'],
  summary: 'The invitation this browser holds: task facts, rules, and the attempt once started',
  responses: {
    200: { description: 'view', content: { 'application/json': { schema: candidateSchema } } },
    ...errorResponses(401, 409),
  },
});

const start = createRoute({
  method: 'post',
  path: '/api/candidate/start',
  tags: ['candidate'],
  summary: 'Start the clock (idempotent)',
  responses: {
    200: {
      description: 'started',
      content: { 'application/json': { schema: z.object({ attempt: attemptSchema }) } },
    },
    ...errorResponses(401, 403, 409, 410),
  },
});

export function registerCandidate(app: OpenAPIHono<AppEnv>) {
  app.openapi(get, async (c) => {
    const cand = requireCandidate(c);
    // Loading the workspace counts as opening the attempt in this browser (sessions opened before
    // the start reach the attempt without the link).
    const device = deviceOf(c, 'workspace', cand.cookie);
    rememberDevice(c, device);
    await noteDeviceForInvitation(c.get('ctx'), cand.invitationId, device);
    return c.json(await viewFor(c.get('ctx'), cand), 200);
  });
  app.openapi(start, async (c) => {
    const cand = requireCandidate(c);
    const ctx = c.get('ctx');
    const inv = await ctx.db
      .selectFrom('invitations')
      .select('assessment_version_id')
      .where('id', '=', cand.invitationId)
      .executeTakeFirst();
    // An assessment starts the session's current task; a single-task invitation its one attempt.
    const attempt = inv?.assessment_version_id
      ? await startCurrentTask(ctx, cand.session, cand.invitationId)
      : await startAttempt(ctx, cand.invitationId);
    const device = deviceOf(c, 'start', cand.cookie);
    rememberDevice(c, device);
    await noteDevice(ctx, attempt, device);
    return c.json({ attempt: viewAttempt(ctx, attempt) }, 200);
  });
  app.openapi(assessmentStart, async (c) => {
    const cand = requireCandidate(c);
    await startAssessment(c.get('ctx'), cand.invitationId);
    return c.json(await viewFor(c.get('ctx'), cand), 200);
  });
  app.openapi(assessmentSelect, async (c) => {
    const cand = requireCandidate(c);
    const { position } = c.req.valid('json');
    await selectTask(c.get('ctx'), cand.session, cand.invitationId, position);
    return c.json(await viewFor(c.get('ctx'), cand), 200);
  });
  app.openapi(assessmentSubmit, async (c) => {
    const cand = requireCandidate(c);
    await submitAssessment(c.get('ctx'), cand.invitationId);
    return c.json(await viewFor(c.get('ctx'), cand), 200);
  });
}

/** The candidate's view at the session's current position (read fresh: select may just have moved it). */
async function viewFor(ctx: AppEnv['Variables']['ctx'], cand: ReturnType<typeof requireCandidate>) {
  const row = await ctx.db
    .selectFrom('sessions')
    .select('assessment_position')
    .where('id_hash', '=', cand.session.id_hash)
    .executeTakeFirst();
  return {
    ...(await candidateView(ctx, cand.invitationId, row?.assessment_position ?? null)),
    csrfToken: cand.session.csrf_token,
  };
}
