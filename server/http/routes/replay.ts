/** For reviewers: the starter files (to diff against) and any file content the attempt's timeline names. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { attemptFor } from '../../attempts/index.ts';
import { revisionContent } from '../../workspace/index.ts';
import { versionFiles } from '../../tasks/index.ts';
import { AppError } from '../../errors/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { principals, requireStaff } from '../auth.ts';

const params = z.object({ id: z.string().max(64) });
const fileSchema = z.object({ path: z.string(), sha256: z.string(), content: z.string() });

const starter = createRoute({
  method: 'get',
  path: '/api/attempts/{id}/starter',
  tags: ['reviews'],
  summary: 'The starter files the attempt began with (staff: to diff the submission against)',
  request: { params },
  responses: {
    200: {
      description: 'starter',
      content: { 'application/json': { schema: z.object({ files: z.array(fileSchema) }) } },
    },
    ...errorResponses(401, 403, 404),
  },
});

const revision = createRoute({
  method: 'get',
  path: '/api/attempts/{id}/revisions/{sha256}',
  tags: ['reviews'],
  summary: "A file content that appears in the attempt's timeline, by sha256 (staff: replay)",
  request: { params: params.extend({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }) },
  responses: {
    200: {
      description: 'content',
      content: { 'application/json': { schema: z.object({ sha256: z.string(), content: z.string() }) } },
    },
    ...errorResponses(401, 403, 404),
  },
});

export function registerReplay(app: OpenAPIHono<AppEnv>) {
  app.openapi(starter, async (c) => {
    requireStaff(c);
    const ctx = c.get('ctx');
    const a = await attemptFor(ctx, principals(c), c.req.valid('param').id, 'read');
    const files = (await versionFiles(ctx, a.task_version_id, { role: 'starter' })).map((f) => ({
      path: f.path.slice('starter/'.length),
      sha256: f.sha256,
      content: f.content.toString('utf8'),
    }));
    return c.json({ files }, 200);
  });

  app.openapi(revision, async (c) => {
    requireStaff(c);
    const ctx = c.get('ctx');
    const { id, sha256 } = c.req.valid('param');
    const a = await attemptFor(ctx, principals(c), id, 'read');
    // Only contents this attempt's timeline (or its starter) refers to: no blob oracle across attempts.
    const named =
      (await ctx.db
        .selectFrom('attempt_events')
        .select('id')
        .where('attempt_id', '=', a.id)
        .where('sha256', '=', sha256)
        .executeTakeFirst()) ?? (await versionFiles(ctx, a.task_version_id, { role: 'starter', sha256 }))[0];
    if (!named) throw new AppError('not_found', 'no such file content in this attempt');
    // Saved revisions rebuild from the attempt's own store; starter files and older timelines from blobs.
    const content = await revisionContent(ctx.db, a.id, sha256);
    return c.json({ sha256, content: content?.toString('utf8') ?? '' }, 200);
  });
}
