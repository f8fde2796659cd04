import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';
import { sha256Hex } from '../../blobs/index.ts';

describe('replay content (security)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
  });
  afterEach(() => t.close());

  it("serves staff only contents named by this attempt's timeline or starter", async () => {
    const a = await t.startedCandidate('A', 'a@example.com');
    const b = await t.startedCandidate('B', 'b@example.com');
    await t.req(a.browser, 'PUT', `/api/attempts/${a.attemptId}/file`, {
      path: 'a.md',
      content: 'secret of A',
    });
    await t.req(b.browser, 'PUT', `/api/attempts/${b.attemptId}/file`, {
      path: 'b.md',
      content: 'secret of B',
    });
    const author = await t.staff('author');
    const own = await t.req(
      author,
      'GET',
      `/api/attempts/${a.attemptId}/revisions/${sha256Hex('secret of A')}`,
    );
    expect(own.json.content).toBe('secret of A');
    // B's content exists in the blob store but is not part of A's timeline.
    expectError(
      await t.req(author, 'GET', `/api/attempts/${a.attemptId}/revisions/${sha256Hex('secret of B')}`),
      404,
      'not_found',
    );
    const starter = await t.req(author, 'GET', `/api/attempts/${a.attemptId}/starter`);
    expect(starter.json.files.map((f: { path: string }) => f.path)).toContain('parse-model-json.mjs');
    // Candidates use their own file API, not these staff routes.
    expectError(
      await t.req(a.browser, 'GET', `/api/attempts/${a.attemptId}/starter`),
      401,
      'unauthenticated',
    );
    expectError(
      await t.req(a.browser, 'GET', `/api/attempts/${a.attemptId}/revisions/${sha256Hex('secret of A')}`),
      401,
      'unauthenticated',
    );
  });
});
