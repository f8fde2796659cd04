/**
 * Attacks on staff accounts through the HTTP API: reset-link reuse, expiry and cross-user use,
 * account enumeration through "forgot password", request flooding, non-admins managing accounts,
 * a deactivated user's live cookie, and locking everyone out by removing the last admin.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects, makeTestApp, PASSWORD, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';
import { startSmtp, type TestSmtp } from '../../../tests/helpers/smtp.ts';

const NEW_PW = 'a brand new passphrase';

describe.each(dialects())('staff accounts (security, %s)', (dialect) => {
  let smtp: TestSmtp;
  let t: TestApp;
  let admin: Browser;
  beforeEach(async () => {
    smtp = await startSmtp();
    t = await makeTestApp({ dialect, env: { SMTP_URL: smtp.url } });
    await t.services.email.start();
    admin = await t.staff('admin', 'root@example.com');
  });
  afterEach(async () => {
    await t.close();
    await smtp.close();
  });

  const anon = (): Browser => ({ cookies: new Map() });
  const signIn = (email: string, password: string) =>
    t.req(anon(), 'POST', '/api/auth/login', { email, password });
  /** Asks for a reset link for `email` and returns the token from the email that arrives. */
  async function resetToken(email: string): Promise<string> {
    const before = smtp.messages.length;
    const r = await t.req(anon(), 'POST', '/api/auth/password-reset', { email });
    expect(r.status, r.text).toBe(202);
    await t.services.settle();
    const [m] = (await smtp.waitFor(before + 1)).slice(before);
    expect(m!.to).toEqual([email]);
    return /#token=(\S+)/.exec(m!.text)![1]!;
  }
  const complete = (token: string, password = NEW_PW) =>
    t.req(anon(), 'POST', '/api/auth/password-reset/complete', { token, password });

  it('a reset link works once: reusing it sets nothing', async () => {
    await t.staff('reviewer', 'rev@example.com');
    const token = await resetToken('rev@example.com');
    expect((await complete(token)).status).toBe(200);
    expectError(
      await complete(token, 'attacker chosen pw'),
      404,
      'not_found',
      /not valid or was already used/,
    );
    expect((await signIn('rev@example.com', NEW_PW)).status).toBe(200);
    expect((await signIn('rev@example.com', 'attacker chosen pw')).status).toBe(401);
  });

  it('an expired reset link is refused and the password stays', async () => {
    await t.staff('reviewer', 'rev@example.com');
    const token = await resetToken('rev@example.com');
    t.clock.advance(61 * 60_000);
    expectError(await complete(token), 410, 'invitation_expired', /expired/);
    expect((await signIn('rev@example.com', PASSWORD)).status).toBe(200);
  });

  it("one user's link changes only that user's password, and a newer link kills the older one", async () => {
    const victim = await t.staff('admin', 'victim@example.com');
    await t.staff('reviewer', 'attacker@example.com');
    const older = await resetToken('attacker@example.com');
    const token = await resetToken('attacker@example.com');
    expectError(await complete(older), 404, 'not_found');
    expect((await complete(token)).status).toBe(200);
    expect((await signIn('victim@example.com', PASSWORD)).status).toBe(200);
    expect((await signIn('victim@example.com', NEW_PW)).status).toBe(401);
    expect((await t.req(victim, 'GET', '/api/auth/me')).status).toBe(200);
    // A made-up or truncated token does nothing either.
    expectError(await complete(`${token.slice(0, -2)}xx`), 404, 'not_found');
    expectError(await complete('short'), 404, 'not_found');
  });

  it('answers a reset request for an unknown, a deactivated and a real account identically', async () => {
    const gone = await t.req(admin, 'POST', '/api/users/invite', {
      email: 'gone@example.com',
      role: 'reviewer',
    });
    await t.req(admin, 'POST', `/api/users/${gone.json.user.id}/deactivate`);
    await t.staff('reviewer', 'real@example.com');
    await t.services.settle();
    const before = smtp.messages.length;
    const answers = [];
    for (const email of ['nobody@example.com', 'gone@example.com', 'real@example.com']) {
      const r = await t.req(anon(), 'POST', '/api/auth/password-reset', { email });
      answers.push({ status: r.status, body: r.json });
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[1]).toEqual(answers[2]);
    expect(answers[0]!.status).toBe(202);
    await t.services.settle();
    expect(smtp.messages.slice(before).map((m) => m.to[0])).toEqual(['real@example.com']);
  });

  it('throttles reset requests the same for known and unknown accounts', async () => {
    await t.staff('reviewer', 'real@example.com');
    for (const email of ['real@example.com', 'nobody@example.com']) {
      const statuses = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await t.req(anon(), 'POST', '/api/auth/password-reset', { email })).status);
      expect(statuses, email).toEqual([202, 202, 202, 429]);
    }
    await t.services.settle();
    expect(smtp.messages.filter((m) => m.subject.startsWith('Reset'))).toHaveLength(3);
  });

  it.each(['author', 'reviewer'] as const)('refuses a %s every account-managing route', async (role) => {
    const b = await t.staff(role);
    const target = await t.req(admin, 'POST', '/api/users/invite', {
      email: 'x@example.com',
      role: 'reviewer',
    });
    const id = target.json.user.id;
    for (const [method, url, body] of [
      ['POST', '/api/users/invite', { email: 'evil@example.com', role: 'admin' }],
      ['POST', `/api/users/${id}/role`, { role: 'admin' }],
      ['POST', `/api/users/${id}/deactivate`],
      ['POST', `/api/users/${id}/reactivate`],
      ['POST', `/api/users/${id}/reset-link`],
      ['GET', `/api/users/${id}/emails`],
      ['GET', '/api/users'],
    ] as const) {
      expectError(await t.req(b, method, url, body), 403, 'forbidden');
      expectError(await t.req(anon(), method, url, body), 401, 'unauthenticated');
    }
    const list = (await t.req(admin, 'GET', '/api/users')).json.users;
    expect(list.find((u: { email: string }) => u.email === 'evil@example.com')).toBeUndefined();
    expect(list.find((u: { id: string }) => u.id === id)).toMatchObject({
      role: 'reviewer',
      status: 'invited',
    });
  });

  it("ends a deactivated user's live session at once; the cookie stays refused after reactivation", async () => {
    const rev = await t.staff('reviewer', 'rev@example.com');
    expect((await t.req(rev, 'GET', '/api/reviews/queue')).status).toBe(200);
    const id = (await t.req(rev, 'GET', '/api/auth/me')).json.user.id;
    const cookie = new Map(rev.cookies);
    const r = await t.req(admin, 'POST', `/api/users/${id}/deactivate`);
    expect(r.json.user.status).toBe('deactivated');
    expectError(await t.req(rev, 'GET', '/api/reviews/queue'), 401, 'unauthenticated');
    expectError(await t.req({ cookies: cookie }, 'GET', '/api/auth/me'), 401, 'unauthenticated');
    expectError(await signIn('rev@example.com', PASSWORD), 401, 'unauthenticated');
    // A reset link asked for before deactivation does nothing now.
    await t.req(admin, 'POST', `/api/users/${id}/reactivate`);
    const token = await resetToken('rev@example.com');
    await t.req(admin, 'POST', `/api/users/${id}/deactivate`);
    expectError(await complete(token), 404, 'not_found');
    await t.req(admin, 'POST', `/api/users/${id}/reactivate`);
    expectError(
      await t.req({ cookies: cookie, csrf: rev.csrf }, 'GET', '/api/auth/me'),
      401,
      'unauthenticated',
    );
    expect((await signIn('rev@example.com', PASSWORD)).status).toBe(200);
  });

  it('never demotes or deactivates the last active admin', async () => {
    const me = (await t.req(admin, 'GET', '/api/auth/me')).json.user.id;
    expectError(
      await t.req(admin, 'POST', `/api/users/${me}/role`, { role: 'reviewer' }),
      409,
      'conflict',
      /last active admin/,
    );
    expectError(
      await t.req(admin, 'POST', `/api/users/${me}/deactivate`),
      409,
      'conflict',
      /last active admin/,
    );
    // An invited (not yet active) admin does not count as a way back in.
    await t.req(admin, 'POST', '/api/users/invite', { email: 'later@example.com', role: 'admin' });
    expectError(await t.req(admin, 'POST', `/api/users/${me}/deactivate`), 409, 'conflict');
    const other = await t.staff('admin', 'second@example.com');
    expect((await t.req(other, 'POST', `/api/users/${me}/role`, { role: 'author' })).status).toBe(200);
    const otherId = (await t.req(other, 'GET', '/api/auth/me')).json.user.id;
    expectError(await t.req(other, 'POST', `/api/users/${otherId}/deactivate`), 409, 'conflict');
  });

  it('two admins demoting each other at the same moment leave one active admin', async () => {
    const other = await t.staff('admin', 'second@example.com');
    const meId = (await t.req(admin, 'GET', '/api/auth/me')).json.user.id;
    const otherId = (await t.req(other, 'GET', '/api/auth/me')).json.user.id;
    const [a, b] = await Promise.all([
      t.req(admin, 'POST', `/api/users/${otherId}/role`, { role: 'author' }),
      t.req(other, 'POST', `/api/users/${meId}/role`, { role: 'author' }),
    ]);
    // One wins. The other is refused either by the guard (409: it would remove the last admin) or, when
    // the winner committed before the loser's request was even authorised, because its sender is no
    // longer an admin (403). Never both.
    const statuses = [a.status, b.status].sort();
    expect(statuses[0], JSON.stringify([a.json, b.json])).toBe(200);
    expect([403, 409], JSON.stringify([a.json, b.json])).toContain(statuses[1]);
    const admins = await t.ctx.db.selectFrom('users').select('id').where('role', '=', 'admin').execute();
    expect(admins).toHaveLength(1);
  });

  it('an invited account cannot sign in before its password is set, whatever is guessed', async () => {
    await t.req(admin, 'POST', '/api/users/invite', { email: 'new@example.com', role: 'reviewer' });
    for (const pw of ['!invited', '', 'invited', PASSWORD])
      expect((await signIn('new@example.com', pw)).status).toBe(401);
  });

  it("setting a password by link ends the account's sessions; changing one's own ends the other sessions", async () => {
    const first = await t.staff('reviewer', 'rev@example.com');
    const second: Browser = { cookies: new Map() };
    second.csrf = (
      await t.req(second, 'POST', '/api/auth/login', { email: 'rev@example.com', password: PASSWORD })
    ).json.csrfToken;
    // Needs the current password, and the CSRF token.
    expectError(
      await t.req(first, 'POST', '/api/auth/password', {
        currentPassword: 'wrong wrong',
        newPassword: NEW_PW,
      }),
      403,
      'forbidden',
    );
    expectError(
      await t.req(
        first,
        'POST',
        '/api/auth/password',
        { currentPassword: PASSWORD, newPassword: NEW_PW },
        { 'x-csrf-token': 'nope' },
      ),
      403,
      'csrf_failed',
    );
    const r = await t.req(first, 'POST', '/api/auth/password', {
      currentPassword: PASSWORD,
      newPassword: NEW_PW,
    });
    expect(r.status, r.text).toBe(204);
    expect((await t.req(first, 'GET', '/api/auth/me')).status).toBe(200);
    expectError(await t.req(second, 'GET', '/api/auth/me'), 401, 'unauthenticated');
    const token = await resetToken('rev@example.com');
    expect((await complete(token, 'third passphrase!')).status).toBe(200);
    expectError(await t.req(first, 'GET', '/api/auth/me'), 401, 'unauthenticated');
  });
});
