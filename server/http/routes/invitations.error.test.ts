import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError, type Res } from '../../testing/expect.ts';
import { listInvitations } from '../../invitations/index.ts';

function expectFriendlyPage(r: Res, status: number, token: string, message: RegExp) {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/text\/html/);
  expect(r.text).toMatch(/<h1>This invitation link cannot be used<\/h1>/);
  expect(r.text).toMatch(message);
  expect(r.text).not.toContain(token);
  expect(r.text).not.toMatch(/AppError|\bat \S+ \(|\.ts:\d+|node_modules/);
  expect(r.headers.getSetCookie()).toEqual([]);
}

describe('invitations (errors)', () => {
  let t: TestApp;
  let author: Browser;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
    author = await t.staff('author');
  });
  afterEach(() => t.close());
  const valid = { taskSlug: 'hello-llm', candidateName: 'Ada', candidateEmail: 'ada@example.com' };

  it('answers 404 for an unknown task with a message that says how to import it, and creates nothing', async () => {
    const r = await t.req(author, 'POST', '/api/invitations', { ...valid, taskSlug: 'no-such-task' });
    expectError(r, 404, 'not_found', /task no-such-task not found; import it with: worksample tasks import/);
    expectError(
      await t.req(author, 'POST', '/api/invitations', { ...valid, taskVersion: 9 }),
      404,
      'not_found',
      /no version 9/,
    );
    expect(await listInvitations(t.ctx)).toEqual([]);
  });

  it.each([
    ['a malformed email', { candidateEmail: 'ada-at-example' }, /candidateEmail: expected an email address/],
    ['a blank name', { candidateName: '   ' }, /candidateName: candidate name is required/],
    ['a zero expiry', { expiresInDays: 0 }, /expiresInDays/],
    ['an expiry over a year', { expiresInDays: 400 }, /expiresInDays/],
    ['a missing task slug', { taskSlug: undefined }, /taskSlug/],
  ])('refuses %s with 400 validation_failed and creates nothing', async (_label, patch, message) => {
    expectError(
      await t.req(author, 'POST', '/api/invitations', { ...valid, ...patch }),
      400,
      'validation_failed',
      message,
    );
    expect(await listInvitations(t.ctx)).toEqual([]);
  });

  it('answers 404 when revoking an unknown invitation', async () => {
    expectError(await t.req(author, 'POST', '/api/invitations/inv_nope/revoke'), 404, 'not_found');
  });

  it('refuses to revoke a started invitation with 409, and the attempt carries on', async () => {
    const { browser, attemptId, invitation } = await t.startedCandidate();
    const r = await t.req(author, 'POST', `/api/invitations/${invitation.id}/revoke`);
    expectError(r, 409, 'conflict', /already started/);
    const [inv] = await listInvitations(t.ctx, invitation.id);
    expect(inv).toMatchObject({ status: 'started', attemptId });
    const row = await t.ctx.db
      .selectFrom('invitations')
      .select('revoked_at')
      .where('id', '=', invitation.id)
      .executeTakeFirstOrThrow();
    expect(row.revoked_at).toBeNull();
    const write = await t.req(browser, 'PUT', `/api/attempts/${attemptId}/file`, {
      path: 'still.md',
      content: 'ok',
    });
    expect(write.status).toBe(200);
  });

  it('a revoked invitation cannot be opened: 410 JSON, and a friendly 410 page for the link', async () => {
    const { invitation, token } = await t.invite();
    expect((await t.req(author, 'POST', `/api/invitations/${invitation.id}/revoke`)).status).toBe(200);

    const b: Browser = { cookies: new Map() };
    expectError(
      await t.req(b, 'POST', '/api/invitations/open', { token }),
      410,
      'invitation_revoked',
      /withdrawn/,
    );
    expectFriendlyPage(await t.req(b, 'GET', `/i/${token}`), 410, token, /withdrawn/);
    expect(b.cookies.size).toBe(0);
    expect(
      await t.ctx.db.selectFrom('sessions').selectAll().where('kind', '=', 'candidate').execute(),
    ).toEqual([]);
  });

  it('a candidate who opened the link before it was revoked cannot start', async () => {
    const { invitation, token } = await t.invite();
    const cand = await t.candidate(token);
    await t.req(author, 'POST', `/api/invitations/${invitation.id}/revoke`);
    expectError(await t.req(cand, 'POST', '/api/candidate/start'), 410, 'invitation_revoked');
    expect(await t.ctx.db.selectFrom('attempts').selectAll().execute()).toEqual([]);
  });

  it('an expired invitation cannot be opened or started (410), and lists as expired', async () => {
    const { invitation, token } = await t.invite('Ada', 'ada@example.com', 1);
    const early = await t.candidate(token); // opened in time, but not started
    t.clock.advance(86_400_000);

    const b: Browser = { cookies: new Map() };
    expectError(
      await t.req(b, 'POST', '/api/invitations/open', { token }),
      410,
      'invitation_expired',
      /expired/,
    );
    expectFriendlyPage(await t.req(b, 'GET', `/i/${token}`), 410, token, /expired/);
    expectError(await t.req(early, 'POST', '/api/candidate/start'), 410, 'invitation_expired');
    expect(await t.ctx.db.selectFrom('attempts').selectAll().execute()).toEqual([]);

    const [inv] = await listInvitations(t.ctx, invitation.id);
    expect(inv!.status).toBe('expired');
  });

  it('is still usable one millisecond before it expires', async () => {
    const { token } = await t.invite('Ada', 'ada@example.com', 1);
    t.clock.advance(86_400_000 - 1);
    const cand = await t.candidate(token);
    expect((await t.req(cand, 'POST', '/api/candidate/start')).status).toBe(200);
  });

  it.each([
    ['junk', 'junk'],
    ['a well-formed but unknown token', 'A'.repeat(43)],
  ])(
    'answers an invalid token (%s) with 404: an HTML page for the link, JSON for the API',
    async (_label, token) => {
      const b: Browser = { cookies: new Map() };
      const page = await t.req(b, 'GET', `/i/${token}`);
      expectFriendlyPage(page, 404, token, /not valid; check that you copied the whole link/);
      const api = await t.req(b, 'POST', '/api/invitations/open', { token });
      expectError(api, 404, 'not_found', /not valid/);
      expect(api.headers.get('content-type')).toMatch(/application\/json/);
      expect(b.cookies.size).toBe(0);
    },
  );

  it('refuses an open request without a token with 400', async () => {
    expectError(
      await t.req({ cookies: new Map() }, 'POST', '/api/invitations/open', {}),
      400,
      'validation_failed',
      /token/,
    );
  });
});
