import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';

describe('staff users (happy path)', () => {
  let t: TestApp;
  let admin: Browser;
  beforeEach(async () => {
    t = await makeTestApp();
    admin = await t.staff('admin', 'root@example.com');
  });
  afterEach(() => t.close());

  it('lets an admin create users of every role, who can then sign in', async () => {
    for (const role of ['admin', 'author', 'reviewer'] as const) {
      const r = await t.req(admin, 'POST', '/api/users', {
        email: ` New.${role}@Example.com `,
        name: ` ${role} person `,
        role,
        password: 'long enough pw',
      });
      expect(r.status, r.text).toBe(201);
      expect(r.json.user).toEqual({
        id: expect.any(String),
        email: `new.${role}@example.com`,
        name: `${role} person`,
        role,
      });
      const login = await t.req({ cookies: new Map() }, 'POST', '/api/auth/login', {
        email: `new.${role}@example.com`,
        password: 'long enough pw',
      });
      expect(login.status).toBe(200);
      expect(login.json.user.role).toBe(role);
    }
    const list = await t.req(admin, 'GET', '/api/users');
    expect(list.status).toBe(200);
    expect(list.json.users.map((u: { email: string }) => u.email).sort()).toEqual([
      'new.admin@example.com',
      'new.author@example.com',
      'new.reviewer@example.com',
      'root@example.com',
    ]);
  });

  it('defaults the display name to the part of the email before @', async () => {
    const r = await t.req(admin, 'POST', '/api/users', {
      email: 'lin@example.com',
      role: 'reviewer',
      password: 'long enough pw',
    });
    expect(r.status).toBe(201);
    expect(r.json.user.name).toBe('lin');
  });
});
