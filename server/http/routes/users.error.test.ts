import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';
import { listUsers } from '../../users/index.ts';

describe('staff users (errors)', () => {
  let t: TestApp;
  let admin: Browser;
  beforeEach(async () => {
    t = await makeTestApp();
    admin = await t.staff('admin', 'root@example.com');
  });
  afterEach(() => t.close());

  it('refuses a duplicate email (any case) with 409 and keeps the original user', async () => {
    const first = await t.req(admin, 'POST', '/api/users', {
      email: 'dup@example.com',
      name: 'First',
      role: 'author',
      password: 'long enough pw',
    });
    expect(first.status).toBe(201);
    const before = await listUsers(t.ctx);
    const again = await t.req(admin, 'POST', '/api/users', {
      email: 'DUP@example.com',
      name: 'Second',
      role: 'admin',
      password: 'another long pw',
    });
    expectError(again, 409, 'conflict', /dup@example\.com already exists/);
    expect(await listUsers(t.ctx)).toEqual(before);
    // The original password still works; the refused request did not overwrite it.
    const login = await t.req({ cookies: new Map() }, 'POST', '/api/auth/login', {
      email: 'dup@example.com',
      password: 'long enough pw',
    });
    expect(login.json.user).toMatchObject({ name: 'First', role: 'author' });
  });

  it.each([
    [
      'a weak password',
      { email: 'w@example.com', role: 'author', password: 'short' },
      /at least 10 characters/,
    ],
    ['an unknown role', { email: 'w@example.com', role: 'owner', password: 'long enough pw' }, /role/],
    ['a malformed email', { email: 'not-an-email', role: 'author', password: 'long enough pw' }, /email/],
    ['a missing password', { email: 'w@example.com', role: 'author' }, /password/],
    [
      'a password over 200 characters',
      { email: 'w@example.com', role: 'author', password: 'x'.repeat(201) },
      /password/,
    ],
  ])('refuses %s with 400 validation_failed and creates nothing', async (_label, body, message) => {
    const before = await listUsers(t.ctx);
    expectError(await t.req(admin, 'POST', '/api/users', body), 400, 'validation_failed', message);
    expect(await listUsers(t.ctx)).toEqual(before);
  });
});
