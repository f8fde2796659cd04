/** The answer key is for staff only: candidates never reach it, reviewers only when assigned. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';
import { critiqueTaskDir, submittedCritique } from '../../testing/critique.ts';

// Text that exists only in key/flaws.yaml (notes, reasons, the verdict on harm), never in the outputs.
const KEY_ONLY = [
  'Sleeping for it sleeps about 55 years',
  'Consistent with system rule 1',
  'Most reviewers should expect',
];

describe('answer-key comparison (security)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample(critiqueTaskDir);
  });
  afterEach(() => t.close());

  it('is refused to the candidate, before and after submitting', async () => {
    const c = await t.startedCandidate('Cy', 'cy@example.com', 'critique-support-bot');
    expectError(
      await t.req(c.browser, 'GET', `/api/attempts/${c.attemptId}/answer-key`),
      401,
      'unauthenticated',
    );
    await t.req(c.browser, 'POST', `/api/attempts/${c.attemptId}/submit`);
    expectError(
      await t.req(c.browser, 'GET', `/api/attempts/${c.attemptId}/answer-key`),
      401,
      'unauthenticated',
    );
  });

  it('never puts key text in a response the candidate can get', async () => {
    const c = await t.startedCandidate('Cy', 'cy@example.com', 'critique-support-bot');
    const id = c.attemptId;
    const urls = [
      '/api/candidate',
      `/api/attempts/${id}`,
      `/api/attempts/${id}/materials`,
      `/api/attempts/${id}/files`,
      `/api/attempts/${id}/file?path=key/flaws.yaml`,
      `/api/attempts/${id}/events`,
      `/api/attempts/${id}/runs`,
      `/api/attempts/${id}/answer-key`,
      `/api/attempts/${id}/starter`,
      '/api/openapi.json',
    ];
    const materials = await t.req(c.browser, 'GET', `/api/attempts/${id}/materials`);
    expect(materials.json.outputs.map((o: { path: string }) => o.path)).toEqual(['answer.md', 'prompt.md']);
    for (const url of urls) {
      const r = await t.req(c.browser, 'GET', url);
      for (const secret of KEY_ONLY) expect(r.text, url).not.toContain(secret);
    }
    // Staff do get it (so the strings above are a real test).
    const author = await t.staff('author');
    expect((await t.req(author, 'GET', `/api/attempts/${id}/answer-key`)).text).toContain(KEY_ONLY[0]);
  });

  it('is open to admins, authors and assigned reviewers, not to other reviewers', async () => {
    const assigned = await t.staff('reviewer', 'r1@example.com');
    const c = await submittedCritique(t);
    const other = await t.staff('reviewer', 'r2@example.com');
    const url = `/api/attempts/${c.attemptId}/answer-key`;
    for (const who of [assigned, await t.staff('admin'), await t.staff('author')]) {
      expect((await t.req(who, 'GET', url)).status).toBe(200);
    }
    expectError(await t.req(other, 'GET', url), 404, 'not_found');
    // A candidate cookie for this very attempt does not stand in for the missing assignment.
    other.cookies = new Map([...other.cookies, ...c.browser.cookies]);
    expectError(await t.req(other, 'GET', url), 404, 'not_found');
    expectError(await t.req(assigned, 'GET', '/api/attempts/nope/answer-key'), 404, 'not_found');
  });
});
