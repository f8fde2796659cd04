/** The "Verify" button's API: an imported task version checked in real sandboxes. */
import { describe, expect, it } from 'vitest';
import { makeTestApp } from '../../server/testing/index.ts';
import { expectError } from '../../server/testing/expect.ts';
import { needs } from '../helpers/require.ts';
import { sandboxesHint, sandboxesReady } from '../helpers/docker.ts';

const ready = await sandboxesReady();

describe.runIf(needs('docker', ready, sandboxesHint))('POST /api/tasks/{slug}/verify', () => {
  it('verifies the imported version for authors and refuses reviewers', async () => {
    const t = await makeTestApp({ env: { SANDBOX_DRIVER: 'docker' } });
    try {
      await t.importExample();
      const author = await t.staff('author');
      const r = await t.req(author, 'POST', '/api/tasks/hello-llm/verify', {});
      expect(r.status, r.text).toBe(200);
      expect(r.json).toMatchObject({ slug: 'hello-llm', version: 1, ok: true });
      expect(r.json.checks.map((c: { check: string }) => c.check)).toEqual(
        expect.arrayContaining(['solution passes', 'starter fails', 'wrong/no-fence fails']),
      );
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
