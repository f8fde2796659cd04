/** One error shape for every API failure: { error: { code, message, requestId } }. */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, errorStatus } from '../errors/index.ts';
import type { AppEnv } from './deps.ts';
import type { Logger } from '../logger/index.ts';
import { redactPath } from './request-log.ts';

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'not_found' }),
      message: z.string(),
      requestId: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi('Error');

/** Standard error responses to spread into a route's `responses`. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: describe(s), content: { 'application/json': { schema: errorBodySchema } } },
    ]),
  );

function describe(status: number) {
  const codes = Object.entries(errorStatus)
    .filter(([, v]) => v === status)
    .map(([k]) => k);
  return `Error (${codes.join(', ')})`;
}

export function errorJson(c: Context<AppEnv>, err: AppError) {
  return c.json(
    {
      error: {
        code: err.code,
        message: err.message,
        requestId: c.get('requestId') ?? '',
        ...(err.details ? { details: err.details } : {}),
      },
    },
    err.status,
  );
}

/** Maps anything thrown to the standard shape; unknown errors are logged and answer 500 without detail. */
export function handleError(logger: Logger) {
  return (err: Error, c: Context<AppEnv>) => {
    if (err instanceof AppError) return errorJson(c, err);
    if (err instanceof HTTPException) {
      const status = err.status;
      const code =
        status === 413
          ? 'payload_too_large'
          : status === 401
            ? 'unauthenticated'
            : status === 404
              ? 'not_found'
              : 'bad_request';
      return errorJson(c, new AppError(code, err.message || 'request refused'));
    }
    if (err instanceof SyntaxError)
      return errorJson(c, new AppError('bad_request', 'request body is not valid JSON'));
    logger.error({ err, requestId: c.get('requestId'), path: redactPath(c.req.path) }, 'unhandled error');
    return errorJson(c, new AppError('internal', 'something went wrong on our side; the error was logged'));
  };
}

/** zod-openapi validation hook: the first few issues, each as "field: message". */
export function validationHook(result: {
  success: boolean;
  error?: { issues: Array<{ path: PropertyKey[]; message: string }> };
}) {
  if (!result.success && result.error) {
    const msgs = result.error.issues
      .slice(0, 5)
      .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message));
    throw new AppError('validation_failed', msgs.join('; '));
  }
}
