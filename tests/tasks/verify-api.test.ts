/** The "Verify" button's API: an imported task version checked in real sandboxes. */
import { describe, expect, it } from 'vitest';
import { makeTestApp } from '../../server/testing/index.ts';
import { expectError } from '../../server/testing/expect.ts';
import { needs } from '../helpers/require.ts';
import { sandboxesHint, sandboxesReady } from '../helpers/docker.ts';

const ready = await sandboxesReady();

describe.runIf(needs('docker', ready, sandboxesHint))('POST /api/tasks/{slug}/verify', () => {
  // The whole verify, tamper corpus included: a few minutes on a busy host.
  it('verifies the imported version for authors and refuses reviewers', { timeout: 600_000 }, async () => {
    const t = await makeTestApp({ env: { SANDBOX_DRIVER: 'docker' } });
    try {
      await t.importExample();
      const author = await t.staff('author');
      const r = await t.req(author, 'POST', '/api/tasks/hello-llm/verify', {});
      expect(r.status, r.text).toBe(200);
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
      // Everything but the tamper rows holds for the shipped task; tamper rows pass once grading
      // runs in the trusted harness, and either way name what they tried.
      expect(checks.filter((c) => c.group !== 'tamper' && !c.ok)).toEqual([]);
      for (const c of checks.filter((x) => x.group === 'tamper'))
        expect(c.detail).toMatch(/^(resisted: |TAMPERING WORKED: )/);
      expectError(
        await t.req(await t.staff('reviewer'), 'POST', '/api/tasks/hello-llm/verify', {}),
        403,
        'forbidden',
      );
      expectError(await t.req(author, 'POST', '/api/tasks/nope/verify', {}), 404, 'not_found');
    } finally {
      await t.close();
    }
  });
});
