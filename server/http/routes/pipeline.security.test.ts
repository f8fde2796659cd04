/**
 * The pipeline names every candidate next to their submission, so it is for admins only: reviewers
 * (blind review: they must not learn who is behind a code name) and authors get 403, candidates and
 * anonymous callers 401, a mutation without the CSRF token 403, and the search is data, never SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';
import { startAttempt, submitAttempt } from '../../attempts/index.ts';
import { createInvitation } from '../../invitations/index.ts';

describe('pipeline (security)', () => {
  let t: TestApp;
  let admin: Browser;
  let reviewer: Browser;
  let author: Browser;
  let candidate: Browser;
  let invitationId: string;
  beforeAll(async () => {
    t = await makeTestApp();
    await t.importExample();
    admin = await t.staff('admin');
    reviewer = await t.staff('reviewer');
    author = await t.staff('author');
    const c = await t.startedCandidate('Grace Hopper', 'grace@example.com');
    await t.req(c.browser, 'POST', `/api/attempts/${c.attemptId}/submit`);
    await t.services.runs.settle();
    candidate = c.browser;
    invitationId = c.invitation.id;
  });
  afterAll(() => t.close());

  it('refuses reviewers and authors (403) and candidates and anonymous callers (401), revealing no one', async () => {
    const bulk = { action: 'export', ids: [invitationId] };
    for (const [who, status, code] of [
      [reviewer, 403, 'forbidden'],
      [author, 403, 'forbidden'],
      [candidate, 401, 'unauthenticated'],
      [{ cookies: new Map() }, 401, 'unauthenticated'],
    ] as const) {
      const list = await t.req(who, 'GET', '/api/pipeline');
      expectError(list, status, code);
      const b = await t.req(who, 'POST', '/api/pipeline/bulk', bulk);
      expect(b.status).toBe(who === reviewer || who === author ? 403 : 401);
      for (const text of [list.text, b.text]) expect(text).not.toMatch(/Grace|Hopper|grace@/);
    }
    // The reviewer assigned to Grace's submission is refused too.
    const assigned = await t.ctx.db.selectFrom('review_assignments').select('reviewer_id').execute();
    expect(assigned).toHaveLength(1);
  });

  it('refuses a bulk action without the CSRF token and changes nothing', async () => {
    const r = await t.req({ cookies: admin.cookies }, 'POST', '/api/pipeline/bulk', {
      action: 'revoke',
      ids: [invitationId],
    });
    expectError(r, 403, 'csrf_failed');
  });

  it('treats the search as text: quotes and SQL find nothing and break nothing', async () => {
    for (const q of ["' or 1=1 --", '%', "Grace' --", '") union select * from users --'])
      expect((await t.req(admin, 'GET', `/api/pipeline?q=${encodeURIComponent(q)}`)).json.total).toBe(0);
    expect((await t.req(admin, 'GET', '/api/pipeline?q=grace')).json.total).toBe(1);
  });

  it('leaves task verification’s own attempts out of the list and out of bulk actions', async () => {
    const { invitation } = await createInvitation(
      t.ctx,
      { taskSlug: 'hello-llm', candidateName: 'Verify Bot', candidateEmail: 'verify@example.com' },
      null,
      'verify',
    );
    const a = await startAttempt(t.ctx, invitation.id);
    await submitAttempt(t.ctx, a.id, 'candidate');
    const r = await t.req(admin, 'GET', '/api/pipeline');
    expect(r.text).not.toContain('Verify Bot');
    const b = await t.req(admin, 'POST', '/api/pipeline/bulk', { action: 'revoke', ids: [invitation.id] });
    expect(b.json.results).toEqual([
      { invitationId: invitation.id, ok: false, message: 'invitation not found' },
    ]);
  });
});
