/**
 * For staff: a critique submission's annotations compared with the task's answer key.
 *
 * Stops: candidates reading the key. Staff sign-in is required, and only the staff principal is
 * passed to `attemptFor`, so a candidate cookie (even one owning this attempt, e.g. a reviewer who
 * took the task) never grants access; reviewers still need an assignment.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { attemptFor } from '../../attempts/index.ts';
import { answerKeyComparison } from '../../reviews/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { requireStaff } from '../auth.ts';

const annotationSchema = z.object({
  id: z.string(),
  output: z.string(),
  start: z.number(),
  end: z.number(),
  quote: z.string(),
  category: z.string(),
  comment: z.string(),
});

export const comparisonSchema = z
  .object({
    answerKey: z.string(),
    flaws: z.array(
      z.object({
        id: z.string(),
        category: z.string(),
        acceptAlso: z.array(z.string()),
        severity: z.string().optional(),
        why: z.string().optional(),
        spans: z.array(z.string()),
        found: z.boolean(),
        categoryMatch: z.boolean(),
        annotations: z.array(annotationSchema),
      }),
    ),
    extras: z.array(
      z.object({
        annotation: annotationSchema,
        kind: z.enum(['notFlaw', 'defensible', 'other']),
        note: z.string().optional(),
      }),
    ),
    summary: z.object({
      planted: z.number(),
      found: z.number(),
      categoryMatched: z.number(),
      annotations: z.number(),
      onPlanted: z.number(),
      notFlaw: z.number(),
      defensible: z.number(),
      other: z.number(),
      recall: z.number().nullable(),
      precision: z.number().nullable(),
    }),
    problems: z.array(z.string()),
    ignoredAnnotations: z.number(),
  })
  .openapi('AnswerKeyComparison');

const get = createRoute({
  method: 'get',
  path: '/api/attempts/{id}/answer-key',
  tags: ['reviews'],
  summary:
    "Staff: the critique's planted flaws found or missed by the candidate's annotations, extra flags, recall and precision",
  request: { params: z.object({ id: z.string().max(64) }) },
  responses: {
    200: { description: 'comparison', content: { 'application/json': { schema: comparisonSchema } } },
    ...errorResponses(401, 403, 404, 409),
  },
});

export function registerAnswerKey(app: OpenAPIHono<AppEnv>) {
  app.openapi(get, async (c) => {
    const staff = requireStaff(c);
    const ctx = c.get('ctx');
    const principal = { kind: 'staff' as const, session: staff.session, user: staff.user };
    const attempt = await attemptFor(ctx, [principal], c.req.valid('param').id, 'read');
    return c.json(comparisonSchema.parse(await answerKeyComparison(ctx, attempt)), 200);
  });
}
