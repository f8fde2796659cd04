/** One log line per request. Invitation tokens in /i/<token> are cut out before logging. */
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../logger/index.ts';
import type { AppEnv } from './deps.ts';

export const redactPath = (path: string) => path.replace(/^\/i\/[^/]+/, '/i/[token]');

export function requestLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = performance.now();
    await next();
    logger.info(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        path: redactPath(c.req.path),
        status: c.res.status,
        ms: Math.round(performance.now() - start),
      },
      'request',
    );
  };
}
