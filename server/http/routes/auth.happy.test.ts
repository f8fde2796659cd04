import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, PASSWORD, type Browser, type TestApp } from '../../testing/index.ts';
import { createUser } from '../../users/index.ts';

describe('staff sign-in (happy path)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
  });
  afterEach(() => t.close());

  it('signs in, answers who am I, signs out and forgets the session', async () => {
    await createUser(t.ctx, {
      email: 'grace@example.com',
      name: 'Grace',
      role: 'author',
      password: PASSWORD,
    });
    const b: Browser = { cookies: new Map() };

    const login = await t.req(b, 'POST', '/api/auth/login', {
      email: 'grace@example.com',
      password: PASSWORD,
    });
    expect(login.status).toBe(200);
    expect(login.json.user).toMatchObject({ email: 'grace@example.com', name: 'Grace', role: 'author' });
    expect(login.json.csrfToken).toEqual(expect.any(String));
    expect(b.cookies.has('ws_staff')).toBe(true);
    const cookie = b.cookies.get('ws_staff')!;
    b.csrf = login.json.csrfToken;

    const me = await t.req(b, 'GET', '/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.json).toEqual({ user: login.json.user, csrfToken: login.json.csrfToken });

    const logout = await t.req(b, 'POST', '/api/auth/logout');
    expect(logout.status).toBe(204);
    const cleared = logout.headers.getSetCookie().find((c) => c.startsWith('ws_staff='));
    expect(cleared).toMatch(/^ws_staff=;/);
    expect(cleared).toMatch(/Max-Age=0/i);
    expect(b.cookies.has('ws_staff')).toBe(false);

    const after = await t.req(b, 'GET', '/api/auth/me');
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe('unauthenticated');

    // The session is gone on the server too: replaying the old cookie does not sign anyone in.
    const replay = await t.req({ cookies: new Map([['ws_staff', cookie]]) }, 'GET', '/api/auth/me');
    expect(replay.status).toBe(401);
  });

  it('treats the email case-insensitively and ignores surrounding spaces', async () => {
    await createUser(t.ctx, { email: 'mixed@example.com', role: 'reviewer', password: PASSWORD });
    const r = await t.req({ cookies: new Map() }, 'POST', '/api/auth/login', {
      email: '  Mixed@Example.COM ',
      password: PASSWORD,
    });
    expect(r.status).toBe(200);
    expect(r.json.user.email).toBe('mixed@example.com');
  });

  it('keeps two sign-ins of the same user independent', async () => {
    const a = await t.staff('admin', 'twice@example.com');
    const b: Browser = { cookies: new Map() };
    const second = await t.req(b, 'POST', '/api/auth/login', {
      email: 'twice@example.com',
      password: PASSWORD,
    });
    b.csrf = second.json.csrfToken;
    expect(second.json.csrfToken).not.toBe(a.csrf);
    expect((await t.req(b, 'POST', '/api/auth/logout')).status).toBe(204);
    expect((await t.req(a, 'GET', '/api/auth/me')).status).toBe(200);
  });
});
