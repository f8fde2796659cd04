/** The candidate summary (per-task scores, weighted overall) and the one decision for a candidate (admins). */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { decideInvitation, invitationSummary } from '../../reviews/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { requireStaff } from '../auth.ts';
import { decisionSchema } from '../schemas/reviews.ts';

export const invitationSummarySchema = z
  .object({
    invitationId: z.string(),
    candidateName: z.string(),
    candidateEmail: z.string(),
    assessment: z.object({ title: z.string(), slug: z.string(), version: z.number().int() }).nullable(),
    tasks: z.array(
      z.object({
        position: z.number().int(),
        title: z.string(),
        taskSlug: z.string(),
        weight: z.number(),
        attemptId: z.string().nullable(),
        status: z.enum(['not_started', 'started', 'submitted', 'graded', 'not_attempted']),
        autoScore: z.object({ passed: z.number().int(), total: z.number().int() }).nullable(),
        reviewScore: z.number().nullable().describe('mean weighted rubric score of submitted reviews, 0..1'),
        score: z
          .number()
          .nullable()
          .describe(
            'counted in the overall: the review score, else the auto pass rate; 0 when not attempted',
          ),
        reviews: z.object({ submitted: z.number().int(), assigned: z.number().int() }),
      }),
    ),
    overall: z.object({
      weightedScore: z
        .number()
        .nullable()
        .describe('Σ weight·score ÷ Σ weight, 0..1; null until every task has a score'),
    }),
    decision: z.object({ decision: decisionSchema, reason: z.string(), decidedAt: z.number() }).nullable(),
  })
  .openapi('InvitationSummary');

const idParams = z.object({ id: z.string().max(64) });

const summary = createRoute({
  method: 'get',
  path: '/api/invitations/{id}/summary',
  tags: ['reviews'],
  summary:
    "A candidate's summary: per-task auto and review scores, the weighted overall, the decision (admins)",
  request: { params: idParams },
  responses: {
    200: { description: 'summary', content: { 'application/json': { schema: invitationSummarySchema } } },
    ...errorResponses(401, 403, 404),
  },
});

const decision = createRoute({
  method: 'post',
  path: '/api/invitations/{id}/decision',
  tags: ['reviews'],
  summary: 'Record one decision for the candidate, on every attempt of the invitation (admins)',
  request: {
    params: idParams,
    body: {
      required: true,
      content: {
        'application/json': { schema: z.object({ decision: decisionSchema, reason: z.string().max(4000) }) },
      },
    },
  },
  responses: {
    200: { description: 'recorded', content: { 'application/json': { schema: invitationSummarySchema } } },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

export function registerInvitationSummary(app: OpenAPIHono<AppEnv>) {
  app.openapi(summary, async (c) => {
    requireStaff(c, 'admin');
    return c.json(await invitationSummary(c.get('ctx'), c.req.valid('param').id), 200);
  });
  app.openapi(decision, async (c) => {
    const staff = requireStaff(c, 'admin');
    const body = c.req.valid('json');
    return c.json(await decideInvitation(c.get('ctx'), c.req.valid('param').id, staff.user, body), 200);
  });
}
