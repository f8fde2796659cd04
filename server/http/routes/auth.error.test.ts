import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, PASSWORD, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';
import { createUser } from '../../users/index.ts';

describe('staff sign-in (errors)', () => {
  let t: TestApp;
  const fresh = (): Browser => ({ cookies: new Map() });
  const login = (email: string, password: string, b = fresh()) =>
    t.req(b, 'POST', '/api/auth/login', { email, password });
  beforeEach(async () => {
    t = await makeTestApp();
    await createUser(t.ctx, { email: 'known@example.com', role: 'author', password: PASSWORD });
  });
  afterEach(() => t.close());

  it('answers a wrong password and an unknown email identically, and sets no cookie', async () => {
    const b = fresh();
    const wrong = await login('known@example.com', 'not the password', b);
    const unknown = await login('nobody@example.com', PASSWORD, b);
    expectError(wrong, 401, 'unauthenticated');
    expectError(unknown, 401, 'unauthenticated');
    expect(wrong.json.error.message).toBe('wrong email or password');
    expect(unknown.json.error.message).toBe(wrong.json.error.message);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    expect(b.cookies.size).toBe(0);
  });

  it('refuses a disabled user with the same answer as a wrong password', async () => {
    await t.ctx.db
      .updateTable('users')
      .set({ disabled: 1 })
      .where('email', '=', 'known@example.com')
      .execute();
    const r = await login('known@example.com', PASSWORD);
    expectError(r, 401, 'unauthenticated');
    expect(r.json.error.message).toBe('wrong email or password');
  });

  it('refuses a body without a password with 400 validation_failed', async () => {
    const r = await t.req(fresh(), 'POST', '/api/auth/login', { email: 'known@example.com' });
    expectError(r, 400, 'validation_failed');
    expect(r.json.error.message).toMatch(/password/);
  });

  it('answers 401 for who-am-I and sign-out without a session', async () => {
    expectError(await t.req(fresh(), 'GET', '/api/auth/me'), 401, 'unauthenticated');
    expectError(await t.req(fresh(), 'POST', '/api/auth/logout'), 401, 'unauthenticated');
    expectError(
      await t.req({ cookies: new Map([['ws_staff', 'made-up']]) }, 'GET', '/api/auth/me'),
      401,
      'unauthenticated',
    );
  });

  it('ends a staff session after it expires', async () => {
    const b = await t.staff('author');
    expect((await t.req(b, 'GET', '/api/auth/me')).status).toBe(200);
    t.clock.advance(12 * 3600_000);
    expectError(await t.req(b, 'GET', '/api/auth/me'), 401, 'unauthenticated');
  });

  it('throttles sign-in after maxFailures failures, with Retry-After, until the window passes', async () => {
    const { maxFailures, windowMs } = t.config.login;
    for (let i = 0; i < maxFailures; i++)
      expectError(await login('known@example.com', `guess ${i}`), 401, 'unauthenticated');

    // Now even the right password is refused, so guessing cannot continue.
    const limited = await login('known@example.com', PASSWORD);
    expectError(limited, 429, 'rate_limited');
    expect(limited.headers.get('retry-after')).toBe(String(windowMs / 1000));
    expect(limited.json.error.message).toMatch(/try again in \d+ minute/);
    expect(limited.headers.getSetCookie()).toEqual([]);

    t.clock.advance(windowMs - 1000);
    const stillLimited = await login('known@example.com', PASSWORD);
    expectError(stillLimited, 429, 'rate_limited');
    expect(stillLimited.headers.get('retry-after')).toBe('1');

    t.clock.advance(1000);
    const ok = await login('known@example.com', PASSWORD);
    expect(ok.status).toBe(200);
    expect(ok.json.user.email).toBe('known@example.com');
  });

  it('counts failures per email regardless of case', async () => {
    const { maxFailures } = t.config.login;
    for (let i = 0; i < maxFailures; i++)
      await login(i % 2 ? 'KNOWN@example.com' : 'known@example.com', `guess ${i}`);
    expectError(await login('Known@Example.com', PASSWORD), 429, 'rate_limited');
  });
});
