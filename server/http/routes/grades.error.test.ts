/** Re-grade requests that cannot be served: unknown, not submitted, already grading, bad input. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';

describe('grades (error)', () => {
  let t: TestApp;
  let admin: Browser;
  beforeEach(async () => {
    // No sandbox: a submission's grading stays queued, which is what these cases need.
    t = await makeTestApp();
    await t.importExample();
    admin = await t.staff('admin');
  });
  afterEach(() => t.close());

  const gradings = async (attemptId: string) =>
    t.ctx.db.selectFrom('grades').select('id').where('attempt_id', '=', attemptId).execute();

  it('answers 404 for an unknown submission', async () => {
    expectError(await t.req(admin, 'POST', '/api/attempts/att_nope/grades'), 404, 'not_found');
    expectError(await t.req(admin, 'GET', '/api/attempts/att_nope/grades'), 404, 'not_found');
  });

  it('refuses an attempt not submitted yet (409), and queues nothing', async () => {
    const { attemptId } = await t.startedCandidate();
    expectError(
      await t.req(admin, 'POST', `/api/attempts/${attemptId}/grades`),
      409,
      'conflict',
      /not submitted/,
    );
    expect(await gradings(attemptId)).toEqual([]);
    expect((await t.req(admin, 'GET', `/api/attempts/${attemptId}/grades`)).json).toEqual({ grades: [] });
  });

  it('refuses while a grading of the submission is still queued or waiting (one at a time)', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`);
    await t.services.settle();
    expect((await t.req(admin, 'GET', `/api/attempts/${attemptId}/grade`)).json.grade).toMatchObject({
      status: 'queued',
    });
    expectError(
      await t.req(admin, 'POST', `/api/attempts/${attemptId}/grades`),
      409,
      'conflict',
      /already being graded/,
    );
    await t.ctx.db
      .updateTable('grades')
      .set({ status: 'retry_wait' })
      .where('attempt_id', '=', attemptId)
      .execute();
    expectError(await t.req(admin, 'POST', `/api/attempts/${attemptId}/grades`), 409, 'conflict');
    expect(await gradings(attemptId)).toHaveLength(1);
  });

  it('refuses a note over 500 characters', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`);
    await t.services.settle();
    await t.ctx.db
      .updateTable('grades')
      .set({ status: 'done' })
      .where('attempt_id', '=', attemptId)
      .execute();
    const r = await t.req(admin, 'POST', `/api/attempts/${attemptId}/grades`, { note: 'x'.repeat(501) });
    expect(r.status).toBe(400);
    expect(await gradings(attemptId)).toHaveLength(1);
  });

  it('lets only one of two simultaneous re-grades through', async () => {
    const { browser, attemptId } = await t.startedCandidate();
    await t.req(browser, 'POST', `/api/attempts/${attemptId}/submit`);
    await t.services.settle();
    await t.ctx.db
      .updateTable('grades')
      .set({ status: 'done' })
      .where('attempt_id', '=', attemptId)
      .execute();
    const [a, b] = await Promise.all([
      t.req(admin, 'POST', `/api/attempts/${attemptId}/grades`),
      t.req(admin, 'POST', `/api/attempts/${attemptId}/grades`),
    ]);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    expect(await gradings(attemptId)).toHaveLength(2);
  });
});
