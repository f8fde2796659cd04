/** Imported tasks and their versions (staff). Importing is done from the CLI in this release. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { listTasks, listVersions } from '../../tasks/import.ts';
import type { AppEnv } from '../deps.ts';
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
  })
  .openapi('TaskVersion');

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
          schema: z.object({ tasks: z.array(taskVersionSchema.extend({ versions: z.number().int() })) }),
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

export function registerTasks(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) => {
    requireStaff(c, 'author');
    return c.json({ tasks: await listTasks(c.get('ctx')) }, 200);
  });
  app.openapi(versions, async (c) => {
    requireStaff(c, 'author');
    return c.json({ versions: await listVersions(c.get('ctx'), c.req.valid('param').slug) }, 200);
  });
}
