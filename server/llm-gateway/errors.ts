/** OpenAI's error body and statuses, so unmodified SDKs raise the errors candidates expect. */
import type { Context } from 'hono';
import type { LlmPolicy } from './policy.ts';

export interface OpenAiError {
  status: 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 502 | 503;
  message: string;
  type: string;
  code: string | null;
  param?: string | null;
  retryAfter?: number;
  /** false: tell SDKs not to retry (an exhausted budget will not come back). */
  retryable?: boolean;
}

export function openAiError(c: Context, e: OpenAiError) {
  if (e.retryAfter !== undefined) c.header('Retry-After', String(e.retryAfter));
  if (e.retryable === false) c.header('x-should-retry', 'false');
  return c.json(
    { error: { message: e.message, type: e.type, param: e.param ?? null, code: e.code } },
    e.status,
  );
}

/** 404 for a model alias the task does not allow, listing the ones it does. */
export function unknownModel(c: Context, model: string, policy: Pick<LlmPolicy, 'models'>) {
  return openAiError(c, {
    status: 404,
    type: 'invalid_request_error',
    code: 'model_not_found',
    param: 'model',
    message: `The model \`${model}\` does not exist or you do not have access to it. This task allows: ${[...policy.models.keys()].join(', ') || 'none'}.`,
  });
}
