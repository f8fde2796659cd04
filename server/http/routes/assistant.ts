/** The IDE assistant: one chat turn for the candidate of an open attempt (server/assistant). */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { attemptFor } from '../../attempts/index.ts';
import { askAssistant } from '../../assistant/index.ts';
import { getVersion } from '../../tasks/index.ts';
import type { Gateway } from '../../llm-gateway/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { principals } from '../auth.ts';
import { attemptParams } from './attempts.ts';

const ask = createRoute({
  method: 'post',
  path: '/api/attempts/{id}/assistant',
  operationId: 'askAssistant',
  tags: ['llm'],
  security: [{ candidateCookie: [] }],
  summary:
    "Ask the IDE assistant (tasks with llm.assistant: chat): spends the attempt's LLM budget; recorded as assistant use",
  request: {
    params: attemptParams,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({
            messages: z
              .array(
                z.object({ role: z.enum(['user', 'assistant']), content: z.string().min(1).max(20_000) }),
              )
              .min(1)
              .max(40)
              .refine((m) => m.at(-1)?.role === 'user', { message: 'the last message must be the user’s' }),
            context: z
              .object({ path: z.string().min(1).max(1024), content: z.string().max(100_000) })
              .optional()
              .openapi({ description: 'The open file or selection the candidate chose to share' }),
          }),
        },
      },
    },
  },
  responses: {
    200: {
      description: 'the assistant’s answer (Markdown)',
      content: { 'application/json': { schema: z.object({ reply: z.string() }) } },
    },
    ...errorResponses(400, 401, 403, 404, 409, 429, 503),
  },
});

export function registerAssistant(app: OpenAPIHono<AppEnv>, gateway: Pick<Gateway, 'assistant'>) {
  app.openapi(ask, async (c) => {
    // Only the candidate may write to an open attempt: staff get 403 (or 404 when not assigned).
    const ctx = c.get('ctx');
    const a = await attemptFor(ctx, principals(c), c.req.valid('param').id, 'write');
    const { manifest } = await getVersion(ctx, a.task_version_id);
    return c.json(await askAssistant(ctx, gateway, a.id, manifest, c.req.valid('json')), 200);
  });
}
