/** The attempt's LLM usage and transcript: the candidate sees their own calls, staff see all. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { attemptFor } from '../../attempts/index.ts';
import { getVersion } from '../../tasks/index.ts';
import { usageOf } from '../../llm-gateway/index.ts';
import type { AppEnv } from '../deps.ts';
import { errorResponses } from '../errors.ts';
import { principals } from '../auth.ts';
import { budgetSchema } from './candidate.ts';

export const llmCallSchema = z
  .object({
    id: z.string(),
    purpose: z.enum(['attempt', 'grade']),
    endpoint: z.string(),
    /** The candidate's code, or the IDE assistant on the candidate's behalf. */
    origin: z.enum(['code', 'assistant']),
    model: z.string(),
    stream: z.boolean(),
    request: z.unknown(),
    response: z.unknown(),
    content: z.string().nullable(),
    status: z.number(),
    errorCode: z.string().nullable(),
    promptTokens: z.number(),
    completionTokens: z.number(),
    latencyMs: z.number().nullable(),
    countedAgainstBudget: z.boolean(),
    createdAt: z.number(),
  })
  .openapi('LlmCall');

export const llmViewSchema = z.object({
  enabled: z.boolean(),
  budget: budgetSchema.nullable(),
  usage: z.object({
    requests: z.number(),
    tokens: z.number(),
    promptTokens: z.number(),
    completionTokens: z.number(),
  }),
  remaining: z.object({ requests: z.number(), tokens: z.number() }).nullable(),
  calls: z.array(llmCallSchema),
});

const get = createRoute({
  method: 'get',
  path: '/api/attempts/{id}/llm',
  tags: ['llm'],
  summary: "LLM usage against the task's budgets, and the call transcript (oldest first)",
  request: { params: z.object({ id: z.string().max(64) }) },
  responses: {
    200: {
      description: 'usage and transcript',
      content: {
        'application/json': {
          schema: llmViewSchema,
        },
      },
    },
    ...errorResponses(401, 403, 404),
  },
});

export function registerLlm(app: OpenAPIHono<AppEnv>) {
  app.openapi(get, async (c) => {
    const ctx = c.get('ctx');
    const who = principals(c);
    const a = await attemptFor(ctx, who, c.req.valid('param').id, 'read');
    const isCandidate = who.some((p) => p.kind === 'candidate' && p.invitationId === a.invitation_id);
    const { manifest } = await getVersion(ctx, a.task_version_id);
    const usage = await usageOf(ctx, { attemptId: a.id, purpose: 'attempt' });
    let q = ctx.db
      .selectFrom('llm_calls')
      .selectAll()
      .where('attempt_id', '=', a.id)
      .orderBy('created_at')
      .limit(1000);
    // Candidates see their own calls; the grading's calls belong to the hidden tests.
    if (isCandidate) q = q.where('purpose', '=', 'attempt');
    const calls = (await q.execute()).map((r) => ({
      id: r.id,
      purpose: r.purpose,
      endpoint: r.endpoint,
      origin: r.origin,
      model: r.model,
      stream: r.stream === 1,
      request: JSON.parse(r.request_json) as unknown,
      response: r.response_json ? (JSON.parse(r.response_json) as unknown) : null,
      content: r.content,
      status: r.status,
      errorCode: r.error_code,
      promptTokens: r.prompt_tokens,
      completionTokens: r.completion_tokens,
      latencyMs: r.latency_ms,
      countedAgainstBudget: r.counted === 1,
      createdAt: r.created_at,
    }));
    const budget = manifest.llm?.enabled ? manifest.llm.budget : null;
    return c.json(
      {
        enabled: Boolean(manifest.llm?.enabled),
        budget,
        usage,
        remaining: budget
          ? {
              requests: Math.max(0, budget.maxRequests - usage.requests),
              tokens: Math.max(0, budget.maxTotalTokens - usage.tokens),
            }
          : null,
        calls,
      },
      200,
    );
  });
}
