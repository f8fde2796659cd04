import { afterEach, describe, expect, it } from 'vitest';
import { noSandbox } from '../../sandbox/index.ts';
import { makeTestApp, type TestApp } from '../../testing/index.ts';
import { capabilitiesOf } from './health.ts';

describe('/api/ready capabilities', () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  it('says neither code nor LLM tasks can run without a sandbox, and why (to staff)', async () => {
    t = await makeTestApp({ driver: noSandbox('SANDBOX_DRIVER=none') });
    const r = await t.req(await t.staff('reviewer'), 'GET', '/api/ready');
    expect(r.status).toBe(200);
    expect(r.json.capabilities).toEqual({
      codeTasks: { ok: false, reason: 'SANDBOX_DRIVER=none' },
      llmTasks: { ok: false, reason: 'SANDBOX_DRIVER=none' },
    });
  });

  it('separates LLM tasks when sandbox networks cannot reach the gateway', () => {
    expect(
      capabilitiesOf({
        driver: 'docker',
        ready: true,
        gatewayNetworks: { ready: false, detail: 'the host firewall is unavailable' },
      }),
    ).toEqual({
      codeTasks: { ok: true },
      llmTasks: { ok: false, reason: 'the host firewall is unavailable' },
    });
    expect(capabilitiesOf({ driver: 'local', ready: true })).toEqual({
      codeTasks: { ok: true },
      llmTasks: { ok: true },
    });
  });
});
