/** Workspace files of one attempt: list, read, write, rename, delete. Paths travel in the body or query. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { attemptFor } from '../../attempts/index.ts';
import { deleteFile, listFiles, readFile, renameFile, writeFile } from '../../workspace/index.ts';
import { AppError } from '../../errors/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { principals } from '../auth.ts';
import { attemptParams } from './attempts.ts';

export const fileInfoSchema = z
  .object({
    path: z.string(),
    size: z.number(),
    sha256: z.string(),
    revision: z.number().int(),
    updatedAt: z.number(),
  })
  .openapi('FileInfo');
export const fileSchema = fileInfoSchema
  .extend({ content: z.string(), encoding: z.enum(['utf8', 'base64']) })
  .openapi('File');
const pathQuery = z.object({ path: z.string().max(1024) });
const baseRevision = z
  .number()
  .int()
  .min(0)
  .optional()
  .openapi({ description: 'Refuse with 409 unless the file is at this revision (0 = must not exist)' });

const list = createRoute({
  method: 'get',
  path: '/api/attempts/{id}/files',
  tags: ['files'],
  summary: 'List workspace files',
  request: { params: attemptParams },
  responses: {
    200: {
      description: 'files',
      content: { 'application/json': { schema: z.object({ files: z.array(fileInfoSchema) }) } },
    },
    ...errorResponses(401, 403, 404),
  },
});

const read = createRoute({
  method: 'get',
  path: '/api/attempts/{id}/file',
  tags: ['files'],
  summary: 'Read one file (UTF-8 text, or base64 for binary content)',
  request: { params: attemptParams, query: pathQuery },
  responses: {
    200: { description: 'file', content: { 'application/json': { schema: fileSchema } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

const write = createRoute({
  method: 'put',
  path: '/api/attempts/{id}/file',
  tags: ['files'],
  summary: 'Create or replace a file; records a revision and an event',
  request: {
    params: attemptParams,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({
            path: z.string().max(1024),
            content: z.string(),
            encoding: z.enum(['utf8', 'base64']).default('utf8'),
            baseRevision,
          }),
        },
      },
    },
  },
  responses: {
    200: {
      description: 'written',
      content: { 'application/json': { schema: z.object({ file: fileInfoSchema, changed: z.boolean() }) } },
    },
    ...errorResponses(400, 401, 403, 404, 409, 413),
  },
});

const rename = createRoute({
  method: 'post',
  path: '/api/attempts/{id}/file/rename',
  tags: ['files'],
  summary: 'Rename or move a file',
  request: {
    params: attemptParams,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({ from: z.string().max(1024), to: z.string().max(1024), baseRevision }),
        },
      },
    },
  },
  responses: {
    200: {
      description: 'renamed',
      content: { 'application/json': { schema: z.object({ file: fileInfoSchema }) } },
    },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const remove = createRoute({
  method: 'delete',
  path: '/api/attempts/{id}/file',
  tags: ['files'],
  summary: 'Delete a file',
  request: {
    params: attemptParams,
    query: pathQuery.extend({ baseRevision: z.coerce.number().int().min(0).optional() }),
  },
  responses: { 204: { description: 'deleted' }, ...errorResponses(400, 401, 403, 404, 409) },
});

const utf8 = new TextDecoder('utf-8', { fatal: true });
function encode(content: Buffer): { content: string; encoding: 'utf8' | 'base64' } {
  try {
    return { content: utf8.decode(content), encoding: 'utf8' };
  } catch {
    return { content: content.toString('base64'), encoding: 'base64' };
  }
}

export function decode(content: string, encoding: 'utf8' | 'base64'): Buffer {
  if (encoding === 'utf8') return Buffer.from(content, 'utf8');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(content) || content.length % 4 !== 0) {
    throw new AppError('validation_failed', 'content: not valid base64');
  }
  return Buffer.from(content, 'base64');
}

export function registerFiles(app: OpenAPIHono<AppEnv>) {
  app.openapi(list, async (c) => {
    const ctx = c.get('ctx');
    const a = await attemptFor(ctx, principals(c), c.req.valid('param').id, 'read');
    return c.json({ files: await listFiles(ctx, a.id) }, 200);
  });
  app.openapi(read, async (c) => {
    const ctx = c.get('ctx');
    const a = await attemptFor(ctx, principals(c), c.req.valid('param').id, 'read');
    const { content, ...info } = await readFile(ctx, a.id, c.req.valid('query').path);
    return c.json({ ...info, ...encode(content) }, 200);
  });
  app.openapi(write, async (c) => {
    const ctx = c.get('ctx');
    const a = await attemptFor(ctx, principals(c), c.req.valid('param').id, 'write');
    const body = c.req.valid('json');
    const { changed, ...file } = await writeFile(ctx, a, {
      path: body.path,
      content: decode(body.content, body.encoding),
      baseRevision: body.baseRevision,
    });
    return c.json({ file, changed }, 200);
  });
  app.openapi(rename, async (c) => {
    const ctx = c.get('ctx');
    const a = await attemptFor(ctx, principals(c), c.req.valid('param').id, 'write');
    return c.json({ file: await renameFile(ctx, a, c.req.valid('json')) }, 200);
  });
  app.openapi(remove, async (c) => {
    const ctx = c.get('ctx');
    const a = await attemptFor(ctx, principals(c), c.req.valid('param').id, 'write');
    await deleteFile(ctx, a, c.req.valid('query'));
    return c.body(null, 204);
  });
}
