/** GET /metrics: the Prometheus exposition, behind metricsAccess (404 to anyone else). */
import type { Hono } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { metricsAccess } from './access.ts';
import type { Metrics } from './index.ts';

export function registerMetrics(app: Hono<any>, metrics: Metrics, token: string | undefined) {
  app.get('/metrics', async (c) => {
    let remote: string | undefined;
    try {
      remote = getConnInfo(c).remote.address;
    } catch {
      remote = undefined; // not a Node socket (app.request() in tests): not loopback
    }
    if (!metricsAccess(c, { token, remote })) return c.text('Not Found', 404);
    const { body, contentType } = await metrics.render();
    c.header('cache-control', 'no-store');
    return c.body(body, 200, { 'content-type': contentType });
  });
}
