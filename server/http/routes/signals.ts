/** Integrity signals from the candidate's page (pastes, time away); see server/attempts/signals.ts. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { attemptFor, recordSignals, signalBatchSchema } from '../../attempts/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { principals } from '../auth.ts';
import { attemptParams } from './attempts.ts';

const post = createRoute({
  method: 'post',
  path: '/api/attempts/{id}/signals',
  tags: ['attempts'],
  summary: 'Record integrity signals: large pastes (size only) and time away from the page (owner candidate)',
  request: {
    params: attemptParams,
    body: { required: true, content: { 'application/json': { schema: signalBatchSchema } } },
  },
  responses: {
    200: {
      description: 'how many signals were stored (the rest exceeded the per-attempt cap)',
      content: { 'application/json': { schema: z.object({ stored: z.number() }) } },
    },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

export function registerSignals(app: OpenAPIHono<AppEnv>) {
  app.openapi(post, async (c) => {
    const ctx = c.get('ctx');
    const a = await attemptFor(ctx, principals(c), c.req.valid('param').id, 'write');
    return c.json(await recordSignals(ctx, a, c.req.valid('json').signals), 200);
  });
}
