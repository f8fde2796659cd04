/** Re-grading a submission and reading its grading history, as staff do in the submission page. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { LocalDriver } from '../../sandbox/index.ts';
import { silentLogger } from '../../logger/index.ts';

describe('grades (happy)', () => {
  let t: TestApp;
  let admin: Browser;
  let attemptId: string;
  beforeEach(async () => {
    t = await makeTestApp({ driver: new LocalDriver({ logger: silentLogger, useBwrap: false }) });
    await t.importExample();
    admin = await t.staff('admin', 'ada.admin@example.com');
    const c = await t.startedCandidate();
    attemptId = c.attemptId;
    await t.req(c.browser, 'POST', `/api/attempts/${attemptId}/submit`);
    await t.services.settle();
  });
  afterEach(() => t.close());

  it('re-grades a graded submission: a new grading with who and why, the earlier one kept in the history', async () => {
    const first = (await t.req(admin, 'GET', `/api/attempts/${attemptId}/grade`)).json.grade;
    expect(first).toMatchObject({ status: 'done', verdict: 'failed', reason: 'submit', requestedBy: null });

    t.clock.advance(60_000);
    const r = await t.req(admin, 'POST', `/api/attempts/${attemptId}/grades`, {
      note: 'the engine was restarted during the first grading',
    });
    expect(r.status, r.text).toBe(202);
    expect(r.json.grade).toMatchObject({
      status: 'queued',
      reason: 'regrade',
      note: 'the engine was restarted during the first grading',
      tries: 0,
      createdAt: t.clock.now(),
    });
    expect(r.json.grade.requestedBy.name).toBeTruthy();
    expect(r.json.grade.id).not.toBe(first.id);
    await t.services.settle();

    const current = (await t.req(admin, 'GET', `/api/attempts/${attemptId}/grade`)).json.grade;
    expect(current).toMatchObject({ id: r.json.grade.id, status: 'done', verdict: 'failed', tries: 1 });
    expect(current.failed).toBe(first.failed);

    const history = await t.req(admin, 'GET', `/api/attempts/${attemptId}/grades`);
    expect(history.status).toBe(200);
    expect(history.json.grades).toEqual([
      expect.objectContaining({ id: current.id, reason: 'regrade', supersededAt: null }),
      expect.objectContaining({
        id: first.id,
        reason: 'submit',
        verdict: 'failed',
        supersededAt: t.clock.now(),
      }),
    ]);
    // The old grading keeps its report.
    expect(history.json.grades[1].tests.length).toBe(first.tests.length);
    // Exports and review pages read the current grading only: one row per submission.
    const rows = await t.ctx.db
      .selectFrom('grades')
      .select('id')
      .where('attempt_id', '=', attemptId)
      .where('superseded_at', 'is', null)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('lets an assigned reviewer re-grade, and re-grades a failed grading', async () => {
    // A grading that failed (say, the engine kept failing): staff see why and try again.
    await t.ctx.db
      .updateTable('grades')
      .set({
        status: 'failed',
        verdict: null,
        error: 'grading failed after 6 tries; the last engine error: boom',
      })
      .where('attempt_id', '=', attemptId)
      .execute();
    const failed = (await t.req(admin, 'GET', `/api/attempts/${attemptId}/grade`)).json.grade;
    expect(failed.error).toContain('the last engine error: boom');

    const reviewer = await t.staff('reviewer', 'rita@example.com');
    await t.ctx.db
      .insertInto('review_assignments')
      .values({
        attempt_id: attemptId,
        reviewer_id: (
          await t.ctx.db
            .selectFrom('users')
            .select('id')
            .where('email', '=', 'rita@example.com')
            .executeTakeFirstOrThrow()
        ).id,
        assigned_at: t.clock.now(),
        due_at: t.clock.now() + 86_400_000,
        assigned_by: null,
      })
      .execute();
    const r = await t.req(reviewer, 'POST', `/api/attempts/${attemptId}/grades`);
    expect(r.status, r.text).toBe(202);
    await t.services.settle();
    expect((await t.req(reviewer, 'GET', `/api/attempts/${attemptId}/grade`)).json.grade).toMatchObject({
      status: 'done',
      verdict: 'failed',
      reason: 'regrade',
      note: null,
    });
  });
});
