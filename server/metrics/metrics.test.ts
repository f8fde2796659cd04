import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../testing/index.ts';

const TOKEN = 'metrics-token-0123456789abcdef';

describe('/metrics', () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  it('answers a scraper with the bearer token: latency by route pattern, autosave, runs, queue, gateway', async () => {
    t = await makeTestApp({ env: { METRICS_TOKEN: TOKEN } });
    await t.importExample();
    const { browser, attemptId } = await t.startedCandidate();
    const put = await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, {
      path: 'a.txt',
      content: 'x',
    });
    expect(put.status).toBe(200);
    const res = await t.app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const body = await res.text();
    expect(body).toMatch(
      /worksample_http_request_duration_seconds_count\{method="PUT",route="\/api\/attempts\/:id\/file",status="200"\} 1/,
    );
    expect(body).toMatch(/worksample_autosave_duration_seconds_count\{status="200"\} 1/);
    // Buckets fine enough below the 25 ms autosave goal to read a p99 near it (bench:load does).
    for (const le of ['0.001', '0.005', '0.01', '0.015', '0.02', '0.025'])
      expect(body).toMatch(
        new RegExp(`worksample_autosave_duration_seconds_bucket\\{le="${le}",status="200"\\} [01]\\n`),
      );
    expect(body).not.toContain(attemptId); // ids never become labels
    for (const name of [
      'worksample_run_queue_length 0',
      'worksample_sandbox_sessions 0',
      'worksample_gateway_tokens{kind="prompt"} 0',
      '# TYPE worksample_runs gauge',
      '# TYPE worksample_gradings gauge',
      '# TYPE worksample_gateway_calls gauge',
    ])
      expect(body).toContain(name);
  });

  it('is a 404 without the token, with a wrong one, and (no token configured) to anyone but loopback', async () => {
    t = await makeTestApp({ env: { METRICS_TOKEN: TOKEN } });
    expect((await t.app.request('/metrics')).status).toBe(404);
    const wrong = await t.app.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(404);
    await t.close();
    t = await makeTestApp();
    // app.request has no socket: not loopback, so refused.
    expect((await t.app.request('/metrics')).status).toBe(404);
  });
});
