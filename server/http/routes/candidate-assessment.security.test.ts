/**
 * Attacks on the assessment routes through the HTTP path: a candidate acting on another candidate's
 * assessment or tasks, positions outside the pinned version, starting work after the deadline or
 * after Submit all, and staff without the admin role reading summaries or deciding.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';
import { importLoop } from '../../assessments/fixtures.ts';

const MIN = 60_000;

describe('candidate assessment (security)', () => {
  let t: TestApp;
  let admin: Browser;
  beforeEach(async () => {
    t = await makeTestApp();
    admin = await t.staff('admin');
    await importLoop(t.ctx, { clock: 'overall', timeLimitMinutes: 20 });
  });
  afterEach(() => t.close());

  async function invite(email: string) {
    const r = await t.req(admin, 'POST', '/api/invitations', {
      assessmentSlug: 'loop-overall',
      candidateName: email,
      candidateEmail: email,
    });
    return { invitation: r.json.invitation, browser: await t.candidate(r.json.link.split('/i/')[1]) };
  }

  async function openBoth(b: Browser) {
    await t.req(b, 'POST', '/api/candidate/assessment/start');
    const ids: string[] = [];
    for (const position of [0, 1])
      ids.push((await t.req(b, 'POST', '/api/candidate/assessment/select', { position })).json.attempt.id);
    return ids;
  }

  it("another candidate's task attempts answer 404 for every verb, and their assessment is untouched by mine", async () => {
    const alice = await invite('alice@example.com');
    const mallory = await invite('mallory@example.com');
    const aliceIds = await openBoth(alice.browser);
    const before = (await t.req(alice.browser, 'GET', '/api/candidate')).json.assessment;

    for (const id of aliceIds) {
      expectError(await t.req(mallory.browser, 'GET', `/api/attempts/${id}/files`), 404, 'not_found');
      expectError(
        await t.req(mallory.browser, 'GET', `/api/attempts/${id}/file?path=parse-model-json.mjs`),
        404,
        'not_found',
      );
      expectError(
        await t.req(mallory.browser, 'PUT', `/api/attempts/${id}/file`, {
          path: 'x.md',
          content: 'x',
          baseRevision: 0,
        }),
        404,
        'not_found',
      );
      expectError(await t.req(mallory.browser, 'POST', `/api/attempts/${id}/submit`), 404, 'not_found');
    }
    // Mallory's own verbs act on Mallory's invitation only.
    await openBoth(mallory.browser);
    expect(
      (await t.req(mallory.browser, 'POST', '/api/candidate/assessment/submit')).json.assessment.submittedAll,
    ).toBe(true);
    const after = (await t.req(alice.browser, 'GET', '/api/candidate')).json.assessment;
    expect(after).toEqual({ ...before });
    expect(after.tasks.map((x: { status: string }) => x.status)).toEqual(['started', 'started']);
    // Alice's task attempts are hers: readable and writable in her session.
    expect((await t.req(alice.browser, 'GET', `/api/attempts/${aliceIds[1]}/files`)).status).toBe(200);
  });

  it('refuses positions outside the assessment, and assessment verbs on a single-task invitation', async () => {
    const { browser } = await invite('pos@example.com');
    await t.req(browser, 'POST', '/api/candidate/assessment/start');
    for (const position of [2, -1, 1.5, 1000, '0'])
      expect((await t.req(browser, 'POST', '/api/candidate/assessment/select', { position })).status).toBe(
        400,
      );
    expect(await t.ctx.db.selectFrom('attempts').selectAll().execute()).toEqual([]);

    await t.importExample();
    const single = await t.startedCandidate('Solo', 'solo@example.com');
    for (const path of ['start', 'submit'])
      expectError(
        await t.req(single.browser, 'POST', `/api/candidate/assessment/${path}`),
        400,
        'bad_request',
      );
    expectError(
      await t.req(single.browser, 'POST', '/api/candidate/assessment/select', { position: 0 }),
      400,
      'bad_request',
    );
    // The single attempt is still open.
    expect((await t.req(single.browser, 'GET', '/api/candidate')).json.attempt.writable).toBe(true);
  });

  it('starts nothing after the overall deadline, and nothing after Submit all', async () => {
    const late = await invite('late@example.com');
    await t.req(late.browser, 'POST', '/api/candidate/assessment/start');
    await t.req(late.browser, 'POST', '/api/candidate/assessment/select', { position: 0 });
    t.clock.advance(20 * MIN);
    expectError(
      await t.req(late.browser, 'POST', '/api/candidate/assessment/select', { position: 1 }),
      409,
      'conflict',
    );
    await t.req(late.browser, 'POST', '/api/candidate/assessment/select', { position: null });
    expect((await t.req(late.browser, 'POST', '/api/candidate/start')).status).toBe(200); // its own open attempt, read-only
    await t.ctx.db.updateTable('sessions').set({ assessment_position: 1 }).execute();
    expectError(await t.req(late.browser, 'POST', '/api/candidate/start'), 409, 'conflict');

    const done = await invite('done@example.com');
    await t.req(done.browser, 'POST', '/api/candidate/assessment/start');
    await t.req(done.browser, 'POST', '/api/candidate/assessment/select', { position: 0 });
    await t.req(done.browser, 'POST', '/api/candidate/assessment/submit');
    expectError(
      await t.req(done.browser, 'POST', '/api/candidate/assessment/select', { position: 1 }),
      409,
      'conflict',
    );
    await t.ctx.db
      .updateTable('sessions')
      .set({ assessment_position: 1 })
      .where('invitation_id', '=', done.invitation.id)
      .execute();
    expectError(await t.req(done.browser, 'POST', '/api/candidate/start'), 409, 'conflict');
    const rows = await t.ctx.db
      .selectFrom('attempts')
      .select(['invitation_id', 'position', 'status'])
      .orderBy('invitation_id')
      .execute();
    expect(rows.filter((r) => r.position === 1)).toEqual([]);
    expect(rows.every((r) => r.status === 'submitted' || r.invitation_id === late.invitation.id)).toBe(true);
  });

  it('summary and decision are for admins: reviewers, authors and candidates are refused, and nothing is recorded', async () => {
    const { invitation, browser } = await invite('judged@example.com');
    await openBoth(browser);
    await t.req(browser, 'POST', '/api/candidate/assessment/submit');
    const body = { decision: 'advance', reason: 'strong' };
    for (const role of ['reviewer', 'author'] as const) {
      const who = await t.staff(role);
      expectError(await t.req(who, 'GET', `/api/invitations/${invitation.id}/summary`), 403, 'forbidden');
      expectError(
        await t.req(who, 'POST', `/api/invitations/${invitation.id}/decision`, body),
        403,
        'forbidden',
      );
    }
    expectError(
      await t.req(browser, 'GET', `/api/invitations/${invitation.id}/summary`),
      401,
      'unauthenticated',
    );
    expectError(
      await t.req(browser, 'POST', `/api/invitations/${invitation.id}/decision`, body),
      401,
      'unauthenticated',
    );
    expect(await t.ctx.db.selectFrom('decisions').selectAll().execute()).toEqual([]);
    const own = await t.req(admin, 'GET', `/api/invitations/${invitation.id}/summary`);
    expect(own.status).toBe(200);
    expect(own.json.candidateEmail).toBe('judged@example.com');
  });
});
