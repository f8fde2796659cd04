/** Blind, independent review: every permission edge of the review routes. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';
import { codeName } from '../../reviews/index.ts';

const fullReview = {
  levels: {
    correctness: { level: 3, evidence: 'Handles fences and prose; misses arrays.' },
    'error-handling': { level: 4, evidence: 'Returns ok:false with specific messages.' },
    clarity: { level: 2, evidence: 'Long function; needs a careful read.' },
  },
  recommendation: 3,
  notes: 'private: reminded me of another candidate',
};

describe('reviews (security)', () => {
  let t: TestApp;
  let admin: Browser;
  let r1: Browser;
  let r2: Browser;
  let r3: Browser;
  let attemptId: string;
  let candidate: Browser;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
    admin = await t.staff('admin');
    r1 = await t.staff('reviewer', 'r1@example.com');
    r2 = await t.staff('reviewer', 'r2@example.com');
    r3 = await t.staff('reviewer', 'r3@example.com');
    const c = await t.startedCandidate('Grace Hopper', 'grace@example.com');
    ({ attemptId } = c);
    candidate = c.browser;
    await t.req(candidate, 'POST', `/api/attempts/${attemptId}/submit`);
    await t.app.runs.settle();
  });
  afterEach(() => t.close());

  const assigned = async () => {
    const rows = await t.ctx.db
      .selectFrom('review_assignments')
      .innerJoin('users', 'users.id', 'review_assignments.reviewer_id')
      .select('users.email')
      .where('attempt_id', '=', attemptId)
      .execute();
    return rows.map((r) => r.email).sort();
  };
  const who = (email: string) =>
    ({ 'r1@example.com': r1, 'r2@example.com': r2, 'r3@example.com': r3 })[email]!;

  it('assigns two reviewers round robin at submit; an unassigned reviewer cannot open the submission or learn it exists', async () => {
    const emails = await assigned();
    expect(emails).toHaveLength(2); // the task's reviewersPerSubmission
    const outsider = ['r1@example.com', 'r2@example.com', 'r3@example.com'].find((e) => !emails.includes(e))!;
    for (const url of [
      `/api/reviews/${attemptId}`,
      `/api/attempts/${attemptId}/files`,
      `/api/attempts/${attemptId}`,
      `/api/attempts/${attemptId}/grade`,
      `/api/reviews/${attemptId}/all`,
    ]) {
      // 404, exactly like a submission that does not exist: a 403 would confirm it exists.
      const r = await t.req(who(outsider), 'GET', url);
      expectError(r, 404, 'not_found');
      const missing = await t.req(who(outsider), 'GET', url.replace(attemptId, 'att_doesnotexist'));
      expect([r.status, r.json.error.message]).toEqual([missing.status, missing.json.error.message]);
    }
    expectError(
      await t.req(who(outsider), 'PUT', `/api/reviews/${attemptId}/mine`, fullReview),
      404,
      'not_found',
    );
    // An assigned reviewer reads the hidden-test results (the grade), like admins and authors.
    expect((await t.req(who(emails[0]!), 'GET', `/api/attempts/${attemptId}/grade`)).status).toBe(200);
    const queue = await t.req(who(emails[0]!), 'GET', '/api/reviews/queue');
    expect(queue.json.items).toEqual([
      expect.objectContaining({ attemptId, codeName: codeName(attemptId), status: 'to do' }),
    ]);
  });

  it('never shows a reviewer the candidate identity before the decision', async () => {
    const [e1] = await assigned();
    const r = who(e1!);
    const texts = [
      (await t.req(r, 'GET', '/api/reviews/queue')).text,
      (await t.req(r, 'GET', `/api/reviews/${attemptId}`)).text,
      (await t.req(r, 'GET', `/api/attempts/${attemptId}`)).text,
      (await t.req(r, 'GET', `/api/attempts/${attemptId}/events`)).text,
    ];
    for (const text of texts) expect(text).not.toMatch(/Grace|Hopper|grace@example\.com/);
    expectError(await t.req(r, 'GET', `/api/reviews/${attemptId}/identity`), 403, 'forbidden');
    expectError(await t.req(r, 'GET', '/api/invitations'), 403, 'forbidden');
  });

  it("hides other reviews until I submit mine, and never shows me another reviewer's private notes", async () => {
    const [e1, e2] = await assigned();
    const a = who(e1!);
    const b = who(e2!);
    expect((await t.req(a, 'PUT', `/api/reviews/${attemptId}/mine`, fullReview)).status).toBe(200);
    expect((await t.req(a, 'POST', `/api/reviews/${attemptId}/mine/submit`)).status).toBe(200);
    expectError(
      await t.req(b, 'GET', `/api/reviews/${attemptId}/all`),
      403,
      'forbidden',
      /submit your own review first/,
    );
    await t.req(b, 'PUT', `/api/reviews/${attemptId}/mine`, { ...fullReview, notes: 'b private' });
    expectError(await t.req(b, 'GET', `/api/reviews/${attemptId}/all`), 403, 'forbidden');
    await t.req(b, 'POST', `/api/reviews/${attemptId}/mine/submit`);
    const all = await t.req(b, 'GET', `/api/reviews/${attemptId}/all`);
    expect(all.json.reviews).toHaveLength(2);
    expect(all.text).not.toContain('reminded me of another candidate');
    expect(all.text).toContain('b private');
  });

  it('refuses an incomplete review and keeps a submitted one final', async () => {
    const [e1] = await assigned();
    const a = who(e1!);
    await t.req(a, 'PUT', `/api/reviews/${attemptId}/mine`, {
      levels: { correctness: { level: 3, evidence: '' } },
    });
    const r = await t.req(a, 'POST', `/api/reviews/${attemptId}/mine/submit`);
    expectError(
      r,
      400,
      'validation_failed',
      /correctness: write the evidence.*error-handling: pick a level.*recommendation/,
    );
    expectError(
      await t.req(a, 'PUT', `/api/reviews/${attemptId}/mine`, {
        levels: { nope: { level: 2, evidence: 'x' } },
      }),
      400,
      'validation_failed',
      /unknown criteria nope/,
    );
    await t.req(a, 'PUT', `/api/reviews/${attemptId}/mine`, fullReview);
    await t.req(a, 'POST', `/api/reviews/${attemptId}/mine/submit`);
    expectError(await t.req(a, 'PUT', `/api/reviews/${attemptId}/mine`, fullReview), 409, 'conflict');
  });

  it('lets only an admin decide, only after all reviews, and reveals (and records) the identity then', async () => {
    const [e1, e2] = await assigned();
    expectError(
      await t.req(who(e1!), 'POST', `/api/reviews/${attemptId}/decision`, {
        decision: 'advance',
        reason: 'x',
      }),
      403,
      'forbidden',
    );
    expectError(
      await t.req(admin, 'POST', `/api/reviews/${attemptId}/decision`, { decision: 'advance', reason: 'x' }),
      409,
      'conflict',
      /0 of 2 submitted/,
    );
    for (const e of [e1!, e2!]) {
      await t.req(who(e), 'PUT', `/api/reviews/${attemptId}/mine`, fullReview);
      await t.req(who(e), 'POST', `/api/reviews/${attemptId}/mine/submit`);
    }
    const decided = await t.req(admin, 'POST', `/api/reviews/${attemptId}/decision`, {
      decision: 'advance',
      reason: 'Both reviewers: solid error handling.',
    });
    expect(decided.json).toEqual({
      codeName: codeName(attemptId),
      name: 'Grace Hopper',
      email: 'grace@example.com',
    });
    expect((await t.req(who(e1!), 'GET', `/api/reviews/${attemptId}/identity`)).json.name).toBe(
      'Grace Hopper',
    );
    const events = await t.ctx.db
      .selectFrom('attempt_events')
      .select('type')
      .where('attempt_id', '=', attemptId)
      .execute();
    expect(events.filter((e) => e.type === 'identity.revealed')).toHaveLength(2);
    expect(events.map((e) => e.type)).toContain('decision.recorded');
  });

  it('lets an admin assign only reviewers or admins, and refuses non-admins', async () => {
    const author = await t.staff('author', 'au@example.com');
    const authorId = (
      await t.ctx.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', 'au@example.com')
        .executeTakeFirstOrThrow()
    ).id;
    expectError(
      await t.req(admin, 'POST', `/api/reviews/${attemptId}/assignments`, { reviewerIds: [authorId] }),
      400,
      'validation_failed',
      /cannot review \(role author\)/,
    );
    expectError(
      await t.req(admin, 'POST', `/api/reviews/${attemptId}/assignments`, { reviewerIds: ['usr_nope'] }),
      400,
      'validation_failed',
      /unknown or disabled/,
    );
    expectError(await t.req(author, 'POST', `/api/reviews/${attemptId}/assignments`, {}), 403, 'forbidden');
    const r3id = (
      await t.ctx.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', 'r3@example.com')
        .executeTakeFirstOrThrow()
    ).id;
    const emails = await assigned();
    const r = await t.req(admin, 'POST', `/api/reviews/${attemptId}/assignments`, { reviewerIds: [r3id] });
    expect(r.json.assigned).toEqual(emails.includes('r3@example.com') ? [] : [r3id]);
  });

  it('shows who is assigned to admins only', async () => {
    const [e1] = await assigned();
    const asReviewer = await t.req(who(e1!), 'GET', `/api/reviews/${attemptId}`);
    expect(asReviewer.json.assignees).toBeUndefined();
    const asAdmin = await t.req(admin, 'GET', `/api/reviews/${attemptId}`);
    expect(
      asAdmin.json.assignees.map((a: { name: string; status: string }) => `${a.name}:${a.status}`).sort(),
    ).toEqual((await assigned()).map((e) => `${e.split('@')[0]}:to do`));
  });

  it('keeps candidates off every reviewer route', async () => {
    for (const [method, url] of [
      ['GET', '/api/reviews/queue'],
      ['GET', `/api/reviews/${attemptId}`],
      ['GET', `/api/reviews/${attemptId}/all`],
      ['GET', `/api/reviews/${attemptId}/identity`],
      ['POST', `/api/reviews/${attemptId}/decision`],
    ] as const) {
      expectError(
        await t.req(
          candidate,
          method,
          url,
          method === 'POST' ? { decision: 'advance', reason: 'me' } : undefined,
        ),
        401,
        'unauthenticated',
      );
    }
  });
});
