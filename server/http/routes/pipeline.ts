/**
 * The hiring pipeline (admins only): GET one filtered, sorted page of candidates (with an ETag, so
 * the page's poll costs a 304 when nothing changed), and bulk actions over selected rows.
 * Stops reviewers (and authors) from unblinding review: the list puts each candidate's name and
 * email beside their attempt id, so every route here requires the admin role (403 otherwise), and
 * bulk mutations need the session's CSRF token like every other mutation.
 */
import { createHash } from 'node:crypto';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  bulkPipeline,
  listPipeline,
  DECISIONS,
  MAX_BULK_IDS,
  MAX_PAGE_SIZE,
  PIPELINE_SORTS,
  PIPELINE_STAGES,
} from '../../pipeline/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { requireStaff } from '../auth.ts';

const iso = z.string().openapi({ description: 'ISO 8601 with offset', example: '2026-01-01T09:00:00.000Z' });
const stage = z.enum(PIPELINE_STAGES);
const STAGE_ALT = PIPELINE_STAGES.join('|');

export const pipelineRowSchema = z
  .object({
    invitationId: z.string(),
    attemptId: z.string().nullable(),
    candidateName: z.string(),
    candidateEmail: z.string(),
    task: z.object({ slug: z.string(), version: z.number().int(), title: z.string() }),
    stage,
    invitedAt: iso,
    expiresAt: iso,
    openedAt: iso.nullable(),
    startedAt: iso.nullable(),
    deadlineAt: iso.nullable(),
    submittedAt: iso.nullable(),
    submittedBy: z.enum(['candidate', 'deadline']).nullable(),
    autoScore: z
      .object({ status: z.string(), percent: z.number().nullable(), passed: z.number(), failed: z.number() })
      .nullable(),
    reviews: z.object({
      done: z.number().int(),
      assigned: z.number().int(),
      overdue: z.number().int(),
      reviewers: z.array(z.object({ id: z.string(), name: z.string() })),
    }),
    unassigned: z.boolean(),
    decision: z.enum(['advance', 'reject', 'hold']).nullable(),
    assessment: z
      .object({
        title: z.string(),
        slug: z.string(),
        position: z
          .number()
          .int()
          .nullable()
          .describe("the row's task position; null before any task is opened"),
        count: z.number().int(),
      })
      .nullable()
      .describe('the assessment this row belongs to (one row per task opened), or null for a single task'),
  })
  .openapi('PipelineRow');

export const pipelinePageSchema = z
  .object({
    rows: z.array(pipelineRowSchema),
    total: z.number().int(),
    page: z.number().int(),
    pageSize: z.number().int(),
    counts: z.record(stage, z.number().int()),
    unassigned: z.number().int(),
    serverNow: iso,
  })
  .openapi('PipelinePage');

export const pipelineBulkResultSchema = z
  .object({
    results: z.array(z.object({ invitationId: z.string(), ok: z.boolean(), message: z.string() })),
    succeeded: z.number().int(),
    failed: z.number().int(),
    csv: z.string().optional(),
  })
  .openapi('PipelineBulkResult');

const list = createRoute({
  method: 'get',
  path: '/api/pipeline',
  tags: ['pipeline'],
  summary:
    'Every candidate with stage, times, auto score, reviews and decision: filtered, searched, sorted and paged on the server (admin). Answers 304 to a matching If-None-Match',
  request: {
    query: z.object({
      stage: z
        .string()
        .max(200)
        .regex(new RegExp(`^(${STAGE_ALT})(,(${STAGE_ALT}))*$`), {
          message: `expected comma-separated stages: ${PIPELINE_STAGES.join(', ')}`,
        })
        .optional()
        .openapi({ description: `comma-separated stages: ${PIPELINE_STAGES.join(', ')}` }),
      task: z.string().max(64).optional(),
      reviewer: z
        .string()
        .max(64)
        .optional()
        .openapi({ description: 'a staff user id: rows assigned to them' }),
      unassigned: z.enum(['true', 'false']).optional(),
      decision: z.enum(DECISIONS).optional(),
      q: z.string().max(200).optional().openapi({ description: 'part of the name or email' }),
      sort: z.enum(PIPELINE_SORTS).optional(),
      dir: z.enum(['asc', 'desc']).optional(),
      page: z.coerce.number().int().min(1).max(100_000).optional(),
      pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
    }),
  },
  responses: {
    200: { description: 'one page', content: { 'application/json': { schema: pipelinePageSchema } } },
    304: { description: 'unchanged since the ETag sent in If-None-Match' },
    ...errorResponses(400, 401, 403),
  },
});

const bulk = createRoute({
  method: 'post',
  path: '/api/pipeline/bulk',
  tags: ['pipeline'],
  summary:
    'Assign reviewers, extend, revoke or export the selected rows (admin); every row is done and reported on its own',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.intersection(
            z.object({ ids: z.array(z.string().max(64)).min(1).max(MAX_BULK_IDS) }),
            z.discriminatedUnion('action', [
              z.object({
                action: z.literal('assign'),
                reviewerIds: z.array(z.string().max(64)).min(1).max(20),
              }),
              z.object({ action: z.literal('extend'), days: z.number().positive().max(365) }),
              z.object({ action: z.literal('revoke') }),
              z.object({ action: z.literal('export') }),
              z.object({ action: z.literal('remind') }),
            ]),
          ),
        },
      },
    },
  },
  responses: {
    200: {
      description: 'one result per row',
      content: { 'application/json': { schema: pipelineBulkResultSchema } },
    },
    ...errorResponses(400, 401, 403),
  },
});

export function registerPipeline(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) => {
    requireStaff(c, 'admin');
    const q = c.req.valid('query');
    const stages = q.stage ? q.stage.split(',').map((s) => stage.parse(s)) : undefined;
    const page = pipelinePageSchema.parse(
      await listPipeline(c.get('ctx'), { ...q, stages, unassigned: q.unassigned === 'true' }),
    );
    // The ETag covers everything but the server's clock, so an unchanged pipeline answers 304.
    const { serverNow: _, ...stable } = page;
    const etag = `"${createHash('sha256').update(JSON.stringify(stable)).digest('base64url').slice(0, 27)}"`;
    c.header('ETag', etag);
    c.header('Cache-Control', 'private, no-cache');
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    return c.json(page, 200);
  });
  app.openapi(bulk, async (c) => {
    const staff = requireStaff(c, 'admin');
    const { ids, ...action } = c.req.valid('json');
    return c.json(
      pipelineBulkResultSchema.parse(await bulkPipeline(c.get('ctx'), staff.user, ids, action)),
      200,
    );
  });
}
