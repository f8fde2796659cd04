/** What the candidate works from once started: statement, critique outputs, structured questions. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { attemptFor } from '../../attempts/index.ts';
import { getVersion } from '../../tasks/import.ts';
import { getBlob } from '../../blobs/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { principals } from '../auth.ts';

const questionSchema = z.object({ id: z.string(), prompt: z.string() });

export const materialsSchema = z
  .object({
    kind: z.enum(['code', 'critique', 'written']),
    title: z.string(),
    statement: z.string(),
    outputs: z.array(z.object({ path: z.string(), content: z.string() })),
    categories: z.array(z.string()),
    questions: z.array(questionSchema),
    visibleTests: z.array(z.string()),
  })
  .openapi('Materials');

const get = createRoute({
  method: 'get',
  path: '/api/attempts/{id}/materials',
  tags: ['attempts'],
  summary: 'Task materials for a started attempt: statement (markdown), model outputs to critique, questions',
  request: { params: z.object({ id: z.string().max(64) }) },
  responses: {
    200: {
      description: 'materials',
      content: {
        'application/json': {
          schema: materialsSchema,
        },
      },
    },
    ...errorResponses(401, 403, 404),
  },
});

export function registerMaterials(app: OpenAPIHono<AppEnv>) {
  app.openapi(get, async (c) => {
    const ctx = c.get('ctx');
    const a = await attemptFor(ctx, principals(c), c.req.valid('param').id, 'read');
    const version = await getVersion(ctx, a.task_version_id);
    const m = version.manifest;
    const files = await ctx.db
      .selectFrom('task_version_files')
      .select(['path', 'sha256'])
      .where('task_version_id', '=', a.task_version_id)
      .where('role', '=', 'outputs')
      .orderBy('path')
      .execute();
    // Only the outputs the manifest lists are shown (an answer key elsewhere in the package stays hidden).
    const listed = new Set((m.critique?.outputs ?? []).map((p) => `outputs/${p}`));
    const outputs = [];
    for (const f of files.filter((f) => listed.has(f.path))) {
      outputs.push({
        path: f.path.slice('outputs/'.length),
        content: (await getBlob(ctx.db, f.sha256))?.toString('utf8') ?? '',
      });
    }
    return c.json(
      {
        kind: m.kind,
        title: m.title,
        statement: version.statement_md,
        outputs,
        categories: m.critique?.categories ?? [],
        questions: m.critique?.questions ?? m.written?.questions ?? [],
        visibleTests: m.tests.visible,
      },
      200,
    );
  });
}
