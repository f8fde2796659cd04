/** Who may re-grade a submission or read its gradings: staff only, by role and assignment. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';

describe('grades (security)', () => {
  let t: TestApp;
  let attemptId: string;
  let candidate: Browser;
  let reviewers: Record<string, Browser>;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
    reviewers = {};
    for (const e of ['r1@example.com', 'r2@example.com', 'r3@example.com'])
      reviewers[e] = await t.staff('reviewer', e);
    const c = await t.startedCandidate();
    ({ attemptId } = c);
    candidate = c.browser;
    await t.req(candidate, 'POST', `/api/attempts/${attemptId}/submit`);
    await t.services.settle();
    // A finished grading, so a re-grade would be accepted from whoever may ask.
    await t.ctx.db
      .updateTable('grades')
      .set({ status: 'done' })
      .where('attempt_id', '=', attemptId)
      .execute();
  });
  afterEach(() => t.close());

  const gradings = async () =>
    (await t.ctx.db.selectFrom('grades').select('id').where('attempt_id', '=', attemptId).execute()).length;
  const outsider = async () => {
    const rows = await t.ctx.db
      .selectFrom('review_assignments')
      .innerJoin('users', 'users.id', 'review_assignments.reviewer_id')
      .select('users.email')
      .where('attempt_id', '=', attemptId)
      .execute();
    const assigned = rows.map((r) => r.email);
    return reviewers[Object.keys(reviewers).find((e) => !assigned.includes(e))!]!;
  };

  it('refuses the candidate: no re-grade of their own submission, no hidden-test history', async () => {
    expectError(await t.req(candidate, 'POST', `/api/attempts/${attemptId}/grades`), 401, 'unauthenticated');
    expectError(await t.req(candidate, 'GET', `/api/attempts/${attemptId}/grades`), 401, 'unauthenticated');
    expect(await gradings()).toBe(1);
  });

  it('refuses the author role (403) but lets authors read the history', async () => {
    const author = await t.staff('author');
    expectError(
      await t.req(author, 'POST', `/api/attempts/${attemptId}/grades`),
      403,
      'forbidden',
      /reviewer/,
    );
    expect((await t.req(author, 'GET', `/api/attempts/${attemptId}/grades`)).status).toBe(200);
    expect(await gradings()).toBe(1);
  });

  it('answers an unassigned reviewer 404, as for a submission that does not exist', async () => {
    const r = await outsider();
    for (const method of ['GET', 'POST']) {
      const res = await t.req(r, method, `/api/attempts/${attemptId}/grades`);
      expectError(res, 404, 'not_found');
      const missing = await t.req(r, method, `/api/attempts/att_nope/grades`);
      expect(res.json.error.message).toBe(missing.json.error.message);
    }
    expect(await gradings()).toBe(1);
  });

  it("does not let a reviewer's candidate cookie for the attempt stand in for an assignment", async () => {
    const r = await outsider();
    const both: Browser = { cookies: new Map([...r.cookies, ...candidate.cookies]), csrf: r.csrf };
    // A GET carries both sessions (no CSRF token decides between them): still only the staff one counts.
    expectError(await t.req(both, 'GET', `/api/attempts/${attemptId}/grades`), 404, 'not_found');
    expectError(await t.req(both, 'GET', `/api/attempts/${attemptId}/grade`), 404, 'not_found');
    expectError(await t.req(both, 'POST', `/api/attempts/${attemptId}/grades`), 404, 'not_found');
    expect(await gradings()).toBe(1);
  });

  it('refuses a re-grade without the CSRF token', async () => {
    const admin = await t.staff('admin');
    const r = await t.req(
      admin,
      'POST',
      `/api/attempts/${attemptId}/grades`,
      {},
      { 'x-csrf-token': 'wrong' },
    );
    expectError(r, 403, 'csrf_failed');
    expect(await gradings()).toBe(1);
  });
});
