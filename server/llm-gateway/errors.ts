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
export const modelNotFound = (model: string, policy: Pick<LlmPolicy, 'models'>): OpenAiError => ({
  status: 404,
  type: 'invalid_request_error',
  code: 'model_not_found',
  param: 'model',
  message: `The model \`${model}\` does not exist or you do not have access to it. This task allows: ${[...policy.models.keys()].join(', ') || 'none'}.`,
});

export function unknownModel(c: Context, model: string, policy: Pick<LlmPolicy, 'models'>) {
  return apiError(c, modelNotFound(model, policy));
}

const ANTHROPIC_TYPES: Record<OpenAiError['status'], string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'invalid_request_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
};

/**
 * Anthropic's error body (`{ type: "error", error: { type, message } }`) with the same statuses and
 * retry headers, so the Anthropic SDK raises the error class a candidate expects (RateLimitError …).
 */
export function anthropicError(c: Context, e: OpenAiError) {
  if (e.retryAfter !== undefined) c.header('Retry-After', String(e.retryAfter));
  if (e.retryable === false) c.header('x-should-retry', 'false');
  return c.json({ type: 'error', error: { type: ANTHROPIC_TYPES[e.status], message: e.message } }, e.status);
}

/** True for the paths answered in Anthropic's shapes. */
export const isAnthropicPath = (path: string) => path === '/v1/messages' || path.startsWith('/v1/messages/');

/** An error in the shape of the API the request was sent to. */
export const apiError = (c: Context, e: OpenAiError) =>
  isAnthropicPath(c.req.path) ? anthropicError(c, e) : openAiError(c, e);
