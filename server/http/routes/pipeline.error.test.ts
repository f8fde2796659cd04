/** Pipeline requests that cannot be served: bad filters and bulk bodies get a 400 saying what is wrong. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';

describe('pipeline (errors)', () => {
  let t: TestApp;
  let admin: Browser;
  let invitationId: string;
  let attemptId: string;
  beforeAll(async () => {
    t = await makeTestApp();
    await t.importExample();
    admin = await t.staff('admin');
    const c = await t.startedCandidate('Sue', 'sue@example.com');
    await t.req(c.browser, 'POST', `/api/attempts/${c.attemptId}/submit`);
    ({ attemptId } = c);
    invitationId = c.invitation.id;
  });
  afterAll(() => t.close());

  it('refuses unknown stages, sorts and decisions, and oversized pages', async () => {
    for (const [q, field] of [
      ['?stage=invited,hired', /stage/],
      ['?stage=', /stage/],
      ['?sort=name;drop table users', /sort/],
      ['?decision=maybe', /decision/],
      ['?pageSize=1000', /pageSize/],
      ['?page=0', /page/],
    ] as const)
      expectError(await t.req(admin, 'GET', `/api/pipeline${q}`), 400, 'validation_failed', field);
  });

  it('refuses a bulk body without rows, with an unknown action, or with 0 days', async () => {
    const bulk = (body: unknown) => t.req(admin, 'POST', '/api/pipeline/bulk', body);
    expectError(await bulk({ action: 'revoke', ids: [] }), 400, 'validation_failed', /ids/);
    expectError(await bulk({ action: 'nudge', ids: [invitationId] }), 400, 'validation_failed');
    expectError(
      await bulk({ action: 'extend', days: 0, ids: [invitationId] }),
      400,
      'validation_failed',
      /days/,
    );
    expectError(
      await bulk({ action: 'assign', reviewerIds: [], ids: [invitationId] }),
      400,
      'validation_failed',
    );
  });

  it('reports an unknown reviewer on the row, assigning nobody', async () => {
    const r = await t.req(admin, 'POST', '/api/pipeline/bulk', {
      action: 'assign',
      reviewerIds: ['usr_nobody'],
      ids: [invitationId],
    });
    expect(r.json).toMatchObject({
      succeeded: 0,
      failed: 1,
      results: [
        { invitationId, ok: false, message: expect.stringMatching(/unknown or disabled users: usr_nobody/) },
      ],
    });
    const rows = await t.ctx.db
      .selectFrom('review_assignments')
      .selectAll()
      .where('attempt_id', '=', attemptId)
      .execute();
    expect(rows).toEqual([]);
  });
});
