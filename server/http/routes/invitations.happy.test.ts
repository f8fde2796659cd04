import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';

describe('invitations (happy path)', () => {
  let t: TestApp;
  let author: Browser;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.importExample();
    author = await t.staff('author');
  });
  afterEach(() => t.close());

  const statusOf = async (id: string) =>
    (await t.req(author, 'GET', '/api/invitations')).json.invitations.find((i: { id: string }) => i.id === id)
      .status;

  it('creates an invitation whose link opens once per browser, and tracks invited → started → submitted', async () => {
    const created = await t.req(author, 'POST', '/api/invitations', {
      taskSlug: 'hello-llm',
      candidateName: ' Ada ',
      candidateEmail: 'Ada@Example.com',
    });
    expect(created.status, created.text).toBe(201);
    const { invitation, link } = created.json;
    expect(link).toMatch(/^http:\/\/localhost:8080\/i\/[A-Za-z0-9_-]{40,}$/);
    expect(invitation).toMatchObject({
      candidateName: 'Ada',
      candidateEmail: 'ada@example.com',
      taskSlug: 'hello-llm',
      taskVersion: 1,
      status: 'invited',
      attemptId: null,
      createdAt: t.clock.now(),
      expiresAt: t.clock.now() + t.config.invitationTtlMs,
    });
    expect(await statusOf(invitation.id)).toBe('invited');

    const cand = await t.candidate(link.split('/i/')[1]);
    expect(await statusOf(invitation.id)).toBe('invited');
    const start = await t.req(cand, 'POST', '/api/candidate/start');
    expect(start.status).toBe(200);
    const listed = (await t.req(author, 'GET', '/api/invitations')).json.invitations.find(
      (i: { id: string }) => i.id === invitation.id,
    );
    expect(listed).toMatchObject({ status: 'started', attemptId: start.json.attempt.id });

    expect((await t.req(cand, 'POST', `/api/attempts/${start.json.attempt.id}/submit`)).status).toBe(200);
    expect(await statusOf(invitation.id)).toBe('submitted');
  });

  it('honours expiresInDays and an explicit task version', async () => {
    const r = await t.req(author, 'POST', '/api/invitations', {
      taskSlug: 'hello-llm',
      taskVersion: 1,
      candidateName: 'Bo',
      candidateEmail: 'bo@example.com',
      expiresInDays: 2,
    });
    expect(r.status).toBe(201);
    expect(r.json.invitation.expiresAt).toBe(t.clock.now() + 2 * 86_400_000);
  });

  it('lets an admin invite too, and lists the newest invitation first', async () => {
    const admin = await t.staff('admin');
    await t.req(author, 'POST', '/api/invitations', {
      taskSlug: 'hello-llm',
      candidateName: 'First',
      candidateEmail: 'first@example.com',
    });
    t.clock.advance(1000);
    const r = await t.req(admin, 'POST', '/api/invitations', {
      taskSlug: 'hello-llm',
      candidateName: 'Second',
      candidateEmail: 'second@example.com',
    });
    expect(r.status).toBe(201);
    const list = await t.req(admin, 'GET', '/api/invitations');
    expect(list.json.invitations.map((i: { candidateName: string }) => i.candidateName)).toEqual([
      'Second',
      'First',
    ]);
  });

  it('GET /i/:token trades the token for a candidate cookie and redirects to /attempt', async () => {
    const { token } = await t.invite();
    const b: Browser = { cookies: new Map() };
    const r = await t.req(b, 'GET', `/i/${token}`);
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/attempt');
    expect(b.cookies.has('ws_candidate')).toBe(true);
    const view = await t.req(b, 'GET', '/api/candidate');
    expect(view.status).toBe(200);
    expect(view.json.candidateName).toBe('Ada Lovelace');
  });

  it('revokes an invitation that was not started', async () => {
    const { invitation } = await t.invite();
    const r = await t.req(author, 'POST', `/api/invitations/${invitation.id}/revoke`);
    expect(r.status).toBe(200);
    expect(r.json.invitation).toMatchObject({ id: invitation.id, status: 'revoked' });
    expect(await statusOf(invitation.id)).toBe('revoked');
  });

  it('lets a candidate who already started come back through the link after it expires', async () => {
    const { token } = await t.invite('Ada', 'ada@example.com', 1);
    const first = await t.candidate(token);
    const start = await t.req(first, 'POST', '/api/candidate/start');
    t.clock.advance(86_400_000 + 1);
    const second = await t.candidate(token);
    const view = await t.req(second, 'GET', '/api/candidate');
    expect(view.json.attempt.id).toBe(start.json.attempt.id);
  });
});
