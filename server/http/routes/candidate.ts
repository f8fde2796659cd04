/** The candidate's own invitation: what they see before and after starting, and the Start button. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { candidateView } from '../../invitations/index.ts';
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
    serverNow: z.number(),
    csrfToken: z.string(),
  })
  .openapi('CandidateView');

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
    return c.json(
      { ...(await candidateView(c.get('ctx'), cand.invitationId)), csrfToken: cand.session.csrf_token },
      200,
    );
  });
  app.openapi(start, async (c) => {
    const cand = requireCandidate(c);
    const ctx = c.get('ctx');
    const attempt = await startAttempt(ctx, cand.invitationId);
    const device = deviceOf(c, 'start', cand.cookie);
    rememberDevice(c, device);
    await noteDevice(ctx, attempt, device);
    return c.json({ attempt: viewAttempt(ctx, attempt) }, 200);
  });
}
