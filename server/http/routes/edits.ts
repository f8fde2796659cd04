/**
 * Edit logs (server/workspace/edits.ts): the candidate's browser sends the typing that led to a save
 * right after it; reviewers read them for the replay. Separate from the save itself, so a refused log
 * never costs a save.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { attemptFor } from '../../attempts/index.ts';
import { editLogSchema, listEditLogs, recordEditLog } from '../../workspace/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { principals, requireStaff } from '../auth.ts';
import { attemptParams } from './attempts.ts';

const post = createRoute({
  method: 'post',
  path: '/api/attempts/{id}/edits',
  tags: ['files'],
  summary:
    'Record the editor changes between two saved revisions of a file (owner candidate; kept only if they rebuild the later one)',
  request: {
    params: attemptParams,
    body: { required: true, content: { 'application/json': { schema: editLogSchema } } },
  },
  responses: {
    200: {
      description: 'kept, or dropped (already kept, or the attempt has used its edit-log storage)',
      content: {
        'application/json': {
          schema: z.object({
            stored: z.boolean(),
            reason: z.enum(['duplicate', 'edit_log_full']).optional(),
          }),
        },
      },
    },
    ...errorResponses(400, 401, 403, 404, 409, 413),
  },
});

export const editLogViewSchema = z
  .object({
    path: z.string(),
    baseSha256: z.string(),
    sha256: z.string(),
    at: z.number(),
    edits: z.array(z.tuple([z.number(), z.number(), z.number(), z.string()])),
    dropped: z.number(),
  })
  .openapi('EditLog');

const list = createRoute({
  method: 'get',
  path: '/api/attempts/{id}/edits',
  tags: ['reviews'],
  summary: "The attempt's edit logs, [ms, offset, removed, inserted] per change (staff: replay of typing)",
  request: { params: attemptParams },
  responses: {
    200: {
      description: 'edit logs, oldest first',
      content: {
        'application/json': {
          schema: z.object({ logs: z.array(editLogViewSchema) }),
        },
      },
    },
    ...errorResponses(401, 403, 404),
  },
});

export function registerEdits(app: OpenAPIHono<AppEnv>) {
  app.openapi(post, async (c) => {
    const ctx = c.get('ctx');
    const a = await attemptFor(ctx, principals(c), c.req.valid('param').id, 'write');
    return c.json(await recordEditLog(ctx, a, c.req.valid('json')), 200);
  });
  app.openapi(list, async (c) => {
    requireStaff(c);
    const ctx = c.get('ctx');
    const a = await attemptFor(ctx, principals(c), c.req.valid('param').id, 'read');
    return c.json({ logs: await listEditLogs(ctx, a.id) }, 200);
  });
}
