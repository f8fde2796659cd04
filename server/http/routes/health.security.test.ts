/**
 * /api/ready tells anyone whether the deployment can run tasks, but why not (socket paths and groups,
 * firewall state, image builds) only to signed-in staff and operators (direct loopback or
 * METRICS_TOKEN, the /metrics rule).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { noSandbox } from '../../sandbox/index.ts';
import { makeTestApp, type TestApp } from '../../testing/index.ts';

const reason = 'permission denied on /var/run/docker.sock: the server user is not in group 999';

describe('/api/ready reasons', () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  it('gives an anonymous visitor and a candidate the answers without the reasons', async () => {
    t = await makeTestApp({ driver: noSandbox(reason) });
    await t.importExample();
    const { browser } = await t.startedCandidate();
    for (const who of [undefined, browser]) {
      const r = await t.req(who, 'GET', '/api/ready');
      expect(r.status).toBe(200);
      expect(r.json.capabilities).toEqual({ codeTasks: { ok: false }, llmTasks: { ok: false } });
      expect(r.json.sandbox).toEqual({ driver: 'none', ready: false });
      expect(r.text).not.toContain('docker.sock');
    }
  });

  it('gives signed-in staff and a scraper with METRICS_TOKEN the reasons', async () => {
    const token = 'a-metrics-token-of-enough-length';
    t = await makeTestApp({ driver: noSandbox(reason), env: { METRICS_TOKEN: token } });
    const staff = await t.req(await t.staff('reviewer'), 'GET', '/api/ready');
    expect(staff.json.capabilities.codeTasks).toEqual({ ok: false, reason });
    expect(staff.json.sandbox.detail).toBe(reason);
    const scraper = await t.req(undefined, 'GET', '/api/ready', undefined, {
      authorization: `Bearer ${token}`,
    });
    expect(scraper.json.capabilities.llmTasks).toEqual({ ok: false, reason });
    const wrong = await t.req(undefined, 'GET', '/api/ready', undefined, { authorization: 'Bearer nope' });
    expect(wrong.json.capabilities.llmTasks).toEqual({ ok: false });
  });
});
