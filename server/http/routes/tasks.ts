/** Imported tasks and their versions (staff). Importing is done from the CLI in this release. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { listTasks, listVersions, resolveVersion } from '../../tasks/index.ts';
import type { AppEnv } from '../deps.ts';
import type { Services } from '../../services/index.ts';
import { errorResponses } from '../errors.ts';
import { requireStaff } from '../auth.ts';

export const taskVersionSchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    version: z.number().int(),
    contentHash: z.string(),
    title: z.string(),
    kind: z.enum(['code', 'critique', 'written']),
    createdAt: z.number(),
    needs: z
      .enum(['nothing', 'codeTasks', 'llmTasks'])
      .describe('the /api/ready capability candidates need for this task'),
  })
  .openapi('TaskVersion');

export const verifyResultSchema = z
  .object({
    slug: z.string(),
    version: z.number().int(),
    ok: z.boolean(),
    checks: z.array(
      z.object({
        group: z.enum(['static', 'visible', 'starter', 'hidden', 'tamper']),
        check: z.string(),
        ok: z.boolean(),
        detail: z.string(),
      }),
    ),
  })
  .openapi('VerifyResult');
export const taskSummarySchema = taskVersionSchema.extend({ versions: z.number().int() });

const list = createRoute({
  method: 'get',
  path: '/api/tasks',
  tags: ['tasks'],
  summary: 'Imported tasks, newest version of each',
  responses: {
    200: {
      description: 'tasks',
      content: {
        'application/json': {
          schema: z.object({ tasks: z.array(taskSummarySchema) }),
        },
      },
    },
    ...errorResponses(401, 403),
  },
});

const versions = createRoute({
  method: 'get',
  path: '/api/tasks/{slug}/versions',
  tags: ['tasks'],
  summary: 'All versions of a task, newest first',
  request: { params: z.object({ slug: z.string().max(64) }) },
  responses: {
    200: {
      description: 'versions',
      content: { 'application/json': { schema: z.object({ versions: z.array(taskVersionSchema) }) } },
    },
    ...errorResponses(401, 403, 404),
  },
});

const verify = createRoute({
  method: 'post',
  path: '/api/tasks/{slug}/verify',
  tags: ['tasks'],
  summary:
    'Verify a task version in real sandboxes: files present, visible tests and starter run, solution passes, starter and wrong solutions fail, the tamper corpus scores no better than the starter, key and rubric valid',
  request: {
    params: z.object({ slug: z.string().max(64) }),
    body: {
      required: false,
      content: {
        'application/json': { schema: z.object({ version: z.number().int().positive().optional() }) },
      },
    },
  },
  responses: {
    200: {
      description: 'per-check results',
      content: {
        'application/json': {
          schema: verifyResultSchema,
        },
      },
    },
    ...errorResponses(401, 403, 404, 409),
  },
});

export function registerTasks(app: OpenAPIHono<AppEnv>, services: Services) {
  app.openapi(verify, async (c) => {
    requireStaff(c, 'author');
    const { slug } = c.req.valid('param');
    const body = c.req.header('content-type')?.includes('json') ? c.req.valid('json') : {};
    const version = await resolveVersion(c.get('ctx'), slug, body.version);
    const checks = await services.verify.version(version.id);
    return c.json({ slug, version: version.version, ok: checks.every((x) => x.ok), checks }, 200);
  });

  app.openapi(list, async (c) => {
    requireStaff(c, 'author');
    return c.json({ tasks: await listTasks(c.get('ctx')) }, 200);
  });
  app.openapi(versions, async (c) => {
    requireStaff(c, 'author');
    return c.json({ versions: await listVersions(c.get('ctx'), c.req.valid('param').slug) }, 200);
  });
}
