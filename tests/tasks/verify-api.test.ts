/**
 * The "Verify" button's API: an imported task version checked in real sandboxes, on the application's
 * own services — its sandbox manager holds the verification's sessions as live, so an orphan sweep
 * running every 100 ms during the whole verification removes none of them.
 */
import { describe, expect, it } from 'vitest';
import { makeTestApp } from '../../server/testing/index.ts';
import { freePort } from '../helpers/process.ts';
import { expectError } from '../../server/testing/expect.ts';
import { needs } from '../helpers/require.ts';
import { sandboxesHint, sandboxesReady, makeDriver } from '../helpers/docker.ts';

const ready = await sandboxesReady();

describe.runIf(needs('docker', ready, sandboxesHint))('POST /api/tasks/{slug}/verify', () => {
  // The whole verify, tamper corpus included: a few minutes on a busy host.
  it('verifies the imported version for authors and refuses reviewers', { timeout: 600_000 }, async () => {
    const gatewayPort = await freePort();
    const driver = await makeDriver(gatewayPort, { instance: `verify-api-${process.pid}` });
    const t = await makeTestApp({
      driver,
      env: { SANDBOX_DRIVER: 'docker', GATEWAY_PORT: String(gatewayPort) },
      sandbox: { maxConcurrent: 2 },
    });
    let sweeping = true;
    let swept = 0;
    const sweep = (async () => {
      while (sweeping) {
        swept += await t.services.sandbox.removeOrphans();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await t.importExample();
      const author = await t.staff('author');
      const r = await t.req(author, 'POST', '/api/tasks/hello-llm/verify', {});
      sweeping = false;
      await sweep;
      expect(r.status, r.text).toBe(200);
      expect(swept, 'the sweep removed a live verification sandbox').toBe(0);
      type Check = { group: string; check: string; ok: boolean; detail: string };
      const checks = r.json.checks as Check[];
      expect(r.json).toMatchObject({ slug: 'hello-llm', version: 1, ok: checks.every((c) => c.ok) });
      expect(checks.map((c) => `${c.group} ${c.check}`)).toEqual(
        expect.arrayContaining([
          'static task files',
          'visible solution passes visible tests',
          'starter starter runs',
          'hidden solution passes',
          'hidden starter fails',
          'hidden wrong/no-fence fails',
          'tamper tamper: exit-at-import',
          'tamper tamper: assert-noop',
        ]),
      );
      // Every row holds for the shipped task, the tamper corpus included (grading runs in the harness).
      expect(checks.filter((c) => !c.ok)).toEqual([]);
      for (const c of checks.filter((x) => x.group === 'tamper')) expect(c.detail).toMatch(/^resisted: /);
      expectError(
        await t.req(await t.staff('reviewer'), 'POST', '/api/tasks/hello-llm/verify', {}),
        403,
        'forbidden',
      );
      expectError(await t.req(author, 'POST', '/api/tasks/nope/verify', {}), 404, 'not_found');
    } finally {
      sweeping = false;
      await sweep;
      await t.close();
    }
  });
});
