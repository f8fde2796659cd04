import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';
import { listInvitations } from '../../invitations/index.ts';
import { hashSecret } from '../../auth/sessions.ts';

const valid = { taskSlug: 'hello-llm', candidateName: 'Mallory', candidateEmail: 'm@example.com' };

describe('invitations (security)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
  });
  afterEach(() => t.close());

  it('refuses a reviewer with 403 on every staff invitation route, and nothing changes', async () => {
    const reviewer = await t.staff('reviewer');
    const { invitation } = await t.invite();
    const before = await listInvitations(t.ctx);
    expectError(await t.req(reviewer, 'POST', '/api/invitations', valid), 403, 'forbidden');
    expectError(await t.req(reviewer, 'GET', '/api/invitations'), 403, 'forbidden');
    expectError(await t.req(reviewer, 'POST', `/api/invitations/${invitation.id}/revoke`), 403, 'forbidden');
    expectError(await t.req(reviewer, 'GET', '/api/tasks'), 403, 'forbidden');
    expect(await listInvitations(t.ctx)).toEqual(before);
  });

  it('refuses a candidate session and an anonymous caller with 401 on staff routes, and nothing changes', async () => {
    const { browser, invitation } = await t.startedCandidate();
    const other = await t.invite('Eve', 'eve@example.com');
    const before = await listInvitations(t.ctx);
    for (const who of [browser, { cookies: new Map<string, string>() }]) {
      expectError(await t.req(who, 'POST', '/api/invitations', valid), 401, 'unauthenticated');
      expectError(await t.req(who, 'GET', '/api/invitations'), 401, 'unauthenticated');
      expectError(
        await t.req(who, 'POST', `/api/invitations/${other.invitation.id}/revoke`),
        401,
        'unauthenticated',
      );
      expectError(
        await t.req(who, 'POST', `/api/invitations/${invitation.id}/revoke`),
        401,
        'unauthenticated',
      );
      expectError(await t.req(who, 'GET', '/api/tasks'), 401, 'unauthenticated');
    }
    expect(await listInvitations(t.ctx)).toEqual(before);
  });

  it('stores the invitation token only as a hash', async () => {
    const author = await t.staff('author');
    const r = await t.req(author, 'POST', '/api/invitations', valid);
    const token: string = r.json.link.split('/i/')[1];
    await t.candidate(token);
    const rows = await t.ctx.db.selectFrom('invitations').selectAll().execute();
    expect(rows).toHaveLength(1);
    for (const value of Object.values(rows[0]!)) expect(String(value)).not.toContain(token);
    expect(rows[0]!.token_hash).toBe(hashSecret(token));
    const sessions = await t.ctx.db.selectFrom('sessions').selectAll().execute();
    expect(JSON.stringify(sessions)).not.toContain(token);
    // The link is shown once: listing invitations does not reveal it again.
    const list = await t.req(author, 'GET', '/api/invitations');
    expect(list.text).not.toContain(token);
    expect(list.text).not.toContain(rows[0]!.token_hash);
  });

  it('sends Referrer-Policy: no-referrer from the link page, so the token cannot leak onward', async () => {
    const { token } = await t.invite();
    const ok = await t.req({ cookies: new Map() }, 'GET', `/i/${token}`);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('referrer-policy')).toBe('no-referrer');
    expect(ok.headers.get('location')).not.toContain(token);
    const refused = await t.req({ cookies: new Map() }, 'GET', `/i/${'A'.repeat(43)}`);
    expect(refused.status).toBe(404);
    expect(refused.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('binds a candidate session to its own invitation: starting never touches another invitation', async () => {
    const a = await t.invite('A', 'a@example.com');
    const b = await t.invite('B', 'b@example.com');
    const candA = await t.candidate(a.token);
    await t.req(candA, 'POST', '/api/candidate/start');
    const [invB] = await listInvitations(t.ctx, b.invitation.id);
    expect(invB).toMatchObject({ status: 'invited', attemptId: null });
  });
});
