/** GET /metrics: the Prometheus exposition, behind operatorRequest (404 to anyone else). */
import type { Hono } from 'hono';
import { operatorRequest } from './access.ts';
import type { Metrics } from './index.ts';

export function registerMetrics(app: Hono<any>, metrics: Metrics, token: string | undefined) {
  app.get('/metrics', async (c) => {
    if (!operatorRequest(c, token)) return c.text('Not Found', 404);
    const { body, contentType } = await metrics.render();
    c.header('cache-control', 'no-store');
    return c.body(body, 200, { 'content-type': contentType });
  });
}
