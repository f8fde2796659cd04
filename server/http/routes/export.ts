/** Results export (authors and admins): JSON or a CSV download. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { exportCsv, exportSubmissions } from '../../export/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { requireStaff } from '../auth.ts';

const rowSchema = z
  .object({
    attemptId: z.string(),
    codeName: z.string(),
    externalId: z
      .string()
      .nullable()
      .describe("the applicant tracking system's id given with the invitation"),
    name: z.string().nullable(),
    email: z.string().nullable(),
    task: z.string(),
    version: z.number().int(),
    submittedAt: z.number(),
    grade: z
      .object({ status: z.string(), verdict: z.string().nullable(), passed: z.number(), failed: z.number() })
      .nullable(),
    criteria: z.record(z.string(), z.number().nullable()),
    weightedScore: z.number().nullable(),
    reviewers: z.number().int(),
    recommendation: z.number().nullable(),
    decision: z.string().nullable(),
    reason: z.string().nullable(),
  })
  .openapi('ExportRow');

const exportRoute = createRoute({
  method: 'get',
  path: '/api/export',
  tags: ['reviews'],
  summary:
    'One row per submitted attempt: auto score, mean review levels and score, decision. Name and email only for admins and only once decided; authors get the same export with identities blank',
  request: {
    query: z.object({
      format: z.enum(['csv', 'json']).default('csv'),
      task: z.string().max(64).optional(),
      externalId: z
        .string()
        .max(200)
        .optional()
        .describe('only the submission of the invitation with this ATS id'),
    }),
  },
  responses: {
    200: {
      description: 'the export (CSV is a download named worksample-export.csv)',
      content: {
        'application/json': {
          schema: z.object({
            criteria: z.array(z.string()),
            identities: z.boolean(),
            rows: z.array(rowSchema),
          }),
        },
        'text/csv': { schema: z.string() },
      },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

export function registerExport(app: OpenAPIHono<AppEnv>) {
  app.openapi(exportRoute, async (c) => {
    const staff = requireStaff(c, 'author');
    const { format, task, externalId } = c.req.valid('query');
    const result = await exportSubmissions(c.get('ctx'), staff.user, { task, externalId });
    if (format === 'json') return c.json(result, 200);
    return c.body(exportCsv(result), 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': 'attachment; filename="worksample-export.csv"',
      'Cache-Control': 'no-store',
    });
  });
}
