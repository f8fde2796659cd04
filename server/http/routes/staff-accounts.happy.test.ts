/** Staff accounts (happy path): invite by email, set the password from the link, roles, the list. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { startSmtp, type TestSmtp } from '../../../tests/helpers/smtp.ts';

describe('staff accounts (happy path)', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  let admin: Browser;
  beforeEach(async () => {
    smtp = await startSmtp();
    t = await makeTestApp({ env: { SMTP_URL: smtp.url } });
    await t.services.email.start();
    admin = await t.staff('admin', 'root@example.com');
  });
  afterEach(async () => {
    await t.close();
    await smtp.close();
  });

  it('invites a reviewer by email; the link sets the password once and they sign in', async () => {
    const r = await t.req(admin, 'POST', '/api/users/invite', {
      email: 'Rita@Example.com',
      name: 'Rita Reviewer',
      role: 'reviewer',
    });
    expect(r.status, r.text).toBe(201);
    expect(r.json).toMatchObject({
      emailed: true,
      link: null,
      user: { email: 'rita@example.com', status: 'invited' },
    });
    await t.services.settle();
    const [m] = await smtp.waitFor(1);
    expect(m!.to).toEqual(['rita@example.com']);
    expect(m!.subject).toBe('You are invited to worksample as reviewer');
    expect(m!.text).toMatch(/Hello Rita Reviewer,[\s\S]*invited you to worksample as reviewer/);
    const link = /(http\S+set-password#token=\S+)/.exec(m!.text)![1]!;
    expect(link.startsWith('http://localhost:8080/login/set-password#token=')).toBe(true);
    const token = link.split('#token=')[1]!;
    const anon: Browser = { cookies: new Map() };
    const check = await t.req(anon, 'POST', '/api/auth/password-reset/check', { token });
    expect(check.json).toEqual({ email: 'rita@example.com', name: 'Rita Reviewer', purpose: 'invite' });
    const done = await t.req(anon, 'POST', '/api/auth/password-reset/complete', {
      token,
      password: 'ritas own passphrase',
    });
    expect(done.status, done.text).toBe(200);
    const login = await t.req(anon, 'POST', '/api/auth/login', {
      email: 'rita@example.com',
      password: 'ritas own passphrase',
    });
    expect(login.status).toBe(200);
    expect(login.json.user.role).toBe('reviewer');
    const list = (await t.req(admin, 'GET', '/api/users')).json.users;
    expect(list.find((u: { email: string }) => u.email === 'rita@example.com').status).toBe('active');
    const log = await t.req(admin, 'GET', `/api/users/${r.json.user.id}/emails`);
    expect(log.json.emails).toMatchObject([{ kind: 'staff_invite', status: 'sent' }]);
  });

  it('changes a role, which applies to the live session at once', async () => {
    const rev = await t.staff('reviewer', 'rev@example.com');
    const id = (await t.req(rev, 'GET', '/api/auth/me')).json.user.id;
    expect((await t.req(rev, 'GET', '/api/invitations')).status).toBe(403);
    const r = await t.req(admin, 'POST', `/api/users/${id}/role`, { role: 'author' });
    expect(r.json.user).toMatchObject({ role: 'author', status: 'active' });
    expect((await t.req(rev, 'GET', '/api/invitations')).status).toBe(200);
  });

  it('an admin can send a new set-password link', async () => {
    const rev = await t.staff('reviewer', 'rev@example.com');
    const id = (await t.req(rev, 'GET', '/api/auth/me')).json.user.id;
    const r = await t.req(admin, 'POST', `/api/users/${id}/reset-link`);
    expect(r.json).toEqual({ link: null, emailed: true });
    await t.services.settle();
    const [m] = await smtp.waitFor(1);
    expect(m!.subject).toBe('Reset your worksample password');
  });
});
