/** Imported assessments (staff): what an invitation can pin instead of one task. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { listAssessments } from '../../assessments/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { requireStaff } from '../auth.ts';

export const assessmentSummarySchema = z
  .object({
    slug: z.string(),
    version: z.number().int(),
    assessmentVersionId: z.string(),
    title: z.string(),
    clock: z.enum(['overall', 'per-task']),
    timeLimitMinutes: z.number().nullable().describe('overall clock only'),
    createdAt: z.number(),
    tasks: z.array(
      z.object({
        position: z.number().int(),
        taskSlug: z.string(),
        title: z.string(),
        kind: z.enum(['code', 'critique', 'written']),
        weight: z.number(),
        timeLimitMinutes: z.number().describe("the task's own limit (used by the per-task clock)"),
      }),
    ),
  })
  .openapi('AssessmentSummary');

const list = createRoute({
  method: 'get',
  path: '/api/assessments',
  tags: ['tasks'],
  summary: 'Imported assessments, newest version of each (import: worksample assessments import <dir>)',
  responses: {
    200: {
      description: 'assessments',
      content: {
        'application/json': { schema: z.object({ assessments: z.array(assessmentSummarySchema) }) },
      },
    },
    ...errorResponses(401, 403),
  },
});

export function registerAssessments(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) => {
    requireStaff(c, 'author');
    const assessments = (await listAssessments(c.get('ctx'))).map(({ contentHash: _, ...a }) => a);
    return c.json({ assessments }, 200);
  });
}
