import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, PASSWORD, type Browser, type TestApp } from '../../testing/index.ts';
import { expectError, type Res } from '../../testing/expect.ts';
import { createUser, listUsers } from '../../users/index.ts';
import { hashSecret } from '../../auth/sessions.ts';

const cookieOf = (r: Res, name: string) => r.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));

describe('staff auth (security)', () => {
  let t: TestApp;
  afterEach(() => t?.close());

  it('refuses a cookie-authenticated mutation without the CSRF token, and nothing is created', async () => {
    t = await makeTestApp();
    const admin = await t.staff('admin');
    const other = await t.staff('admin');
    const before = await listUsers(t.ctx);
    const body = { email: 'new@example.com', role: 'author', password: PASSWORD };

    const missing = await t.req({ cookies: admin.cookies }, 'POST', '/api/users', body);
    expectError(missing, 403, 'csrf_failed');
    expect(missing.json.error.message).toMatch(/x-csrf-token/);
    expectError(
      await t.req(admin, 'POST', '/api/users', body, { 'x-csrf-token': 'wrong' }),
      403,
      'csrf_failed',
    );
    expectError(await t.req(admin, 'POST', '/api/users', body, { 'x-csrf-token': '' }), 403, 'csrf_failed');

    // Another session's token (here another admin's) does not do either.
    expectError(
      await t.req(admin, 'POST', '/api/users', body, { 'x-csrf-token': other.csrf! }),
      403,
      'csrf_failed',
    );

    expect(await listUsers(t.ctx)).toEqual(before);

    // With the token the same request works, so the refusals above were about CSRF only.
    expect((await t.req(admin, 'POST', '/api/users', body)).status).toBe(201);
  });

  it('refuses sign-out without the CSRF token and keeps the session', async () => {
    t = await makeTestApp();
    const b = await t.staff('author');
    expectError(await t.req({ cookies: b.cookies }, 'POST', '/api/auth/logout'), 403, 'csrf_failed');
    expect((await t.req(b, 'GET', '/api/auth/me')).status).toBe(200);
  });

  it('sets HttpOnly, SameSite=Lax, Path=/ session cookies without Secure on plain http', async () => {
    t = await makeTestApp();
    await t.importExample();
    await createUser(t.ctx, { email: 'c@example.com', role: 'author', password: PASSWORD });
    const login = await t.req({ cookies: new Map() }, 'POST', '/api/auth/login', {
      email: 'c@example.com',
      password: PASSWORD,
    });
    const staff = cookieOf(login, 'ws_staff')!;
    expect(staff).toMatch(/; HttpOnly/i);
    expect(staff).toMatch(/; SameSite=Lax/i);
    expect(staff).toMatch(/; Path=\//);
    expect(staff).not.toMatch(/; Secure/i);

    const { token } = await t.invite();
    const open = await t.req({ cookies: new Map() }, 'POST', '/api/invitations/open', { token });
    const cand = cookieOf(open, 'ws_candidate')!;
    expect(cand).toMatch(/; HttpOnly/i);
    expect(cand).toMatch(/; SameSite=Lax/i);
    expect(cand).not.toMatch(/; Secure/i);
  });

  it('marks session cookies Secure when PUBLIC_URL is https', async () => {
    t = await makeTestApp({ env: { PUBLIC_URL: 'https://hire.example.com' } });
    await t.importExample();
    await createUser(t.ctx, { email: 's@example.com', role: 'author', password: PASSWORD });
    const login = await t.req({ cookies: new Map() }, 'POST', '/api/auth/login', {
      email: 's@example.com',
      password: PASSWORD,
    });
    expect(cookieOf(login, 'ws_staff')).toMatch(/; Secure/i);
    expect(cookieOf(login, 'ws_staff')).toMatch(/; HttpOnly/i);

    const { token, link } = await t.invite();
    expect(link.startsWith('https://hire.example.com/i/')).toBe(true);
    const open = await t.req({ cookies: new Map() }, 'POST', '/api/invitations/open', { token });
    expect(cookieOf(open, 'ws_candidate')).toMatch(/; Secure/i);
    const page = await t.req({ cookies: new Map() }, 'GET', `/i/${token}`);
    expect(cookieOf(page, 'ws_candidate')).toMatch(/; Secure/i);
  });

  it('never puts a session cookie value, its hash or a password hash in a response body', async () => {
    t = await makeTestApp();
    await t.importExample();
    const admin: Browser = { cookies: new Map() };
    await createUser(t.ctx, { email: 'root@example.com', role: 'admin', password: PASSWORD });
    const bodies: string[] = [];
    const login = await t.req(admin, 'POST', '/api/auth/login', {
      email: 'root@example.com',
      password: PASSWORD,
    });
    admin.csrf = login.json.csrfToken;
    bodies.push(login.text);
    bodies.push((await t.req(admin, 'GET', '/api/auth/me')).text);
    bodies.push(
      (
        await t.req(admin, 'POST', '/api/users', {
          email: 'x@example.com',
          role: 'reviewer',
          password: PASSWORD,
        })
      ).text,
    );
    bodies.push((await t.req(admin, 'GET', '/api/users')).text);
    bodies.push((await t.req(admin, 'GET', '/api/invitations')).text);

    const { token } = await t.invite();
    const cand = await t.candidate(token);
    bodies.push((await t.req(cand, 'GET', '/api/candidate')).text);
    const start = await t.req(cand, 'POST', '/api/candidate/start');
    bodies.push(start.text);
    bodies.push((await t.req(admin, 'GET', '/api/invitations')).text);
    bodies.push((await t.req(admin, 'GET', `/api/attempts/${start.json.attempt.id}`)).text);

    const secrets = [admin.cookies.get('ws_staff')!, cand.cookies.get('ws_candidate')!, token];
    const hashes = secrets.map(hashSecret);
    const passwordHashes = (await t.ctx.db.selectFrom('users').select('password_hash').execute()).map(
      (r) => r.password_hash,
    );
    for (const body of bodies) {
      for (const s of [...secrets, ...hashes, ...passwordHashes]) expect(body).not.toContain(s);
      expect(body).not.toContain('scrypt$');
      expect(body).not.toContain(PASSWORD);
      expect(body).not.toMatch(/password_?hash/i);
    }
  });

  it('refuses a sign-in that is not JSON, so a cross-site form cannot sign a victim in', async () => {
    t = await makeTestApp();
    await createUser(t.ctx, { email: 'f@example.com', role: 'admin', password: PASSWORD });
    const body = JSON.stringify({ email: 'f@example.com', password: PASSWORD });
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await t.app.request('/api/auth/login', {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      expect(res.status, type).toBe(400);
      expect(res.headers.getSetCookie()).toEqual([]);
      expect((await res.json()).error).toMatchObject({
        code: 'bad_request',
        requestId: expect.stringMatching(/\S/),
      });
    }
    expect(await t.ctx.db.selectFrom('sessions').selectAll().execute()).toEqual([]);
  });

  it('stores only a hash of the session cookie', async () => {
    t = await makeTestApp();
    const b = await t.staff('author');
    const cookie = b.cookies.get('ws_staff')!;
    const rows = await t.ctx.db.selectFrom('sessions').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(cookie);
    expect(rows.map((r) => r.id_hash)).toContain(hashSecret(cookie));
  });

  describe('sign-in throttling', () => {
    /** Signs in as a browser at `address` (app.request with the socket the node adapter would give). */
    const signIn = async (address: string, email: string, password: string) => {
      const r = await t.app.request(
        '/api/auth/login',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password }),
        },
        { incoming: { socket: { remoteAddress: address, remotePort: 40000, remoteFamily: 'IPv4' } } },
      );
      return { status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.text() };
    };

    it('checks at most maxFailures of 150 concurrent wrong passwords; the rest get 429 without a hash', async () => {
      t = await makeTestApp();
      await createUser(t.ctx, { email: 'victim@example.com', role: 'admin', password: PASSWORD });
      const { maxFailures } = t.config.login;
      const results = await Promise.all(
        Array.from({ length: 150 }, (_, i) => signIn('203.0.113.7', 'victim@example.com', `guess ${i}`)),
      );
      const checked = results.filter((r) => r.status === 401).length; // 401 = the password was hashed
      const refused = results.filter((r) => r.status === 429);
      expect(checked).toBe(maxFailures);
      expect(refused.length).toBe(150 - maxFailures);
      for (const r of refused) expect(Number(r.retryAfter)).toBeGreaterThan(0);
      expect(results.every((r) => r.status === 401 || r.status === 429)).toBe(true);
    });

    it('a burst from one address locks neither the real user elsewhere nor other accounts from that address', async () => {
      t = await makeTestApp();
      await createUser(t.ctx, { email: 'victim@example.com', role: 'admin', password: PASSWORD });
      await createUser(t.ctx, { email: 'colleague@example.com', role: 'author', password: PASSWORD });
      await Promise.all(
        Array.from({ length: 150 }, (_, i) => signIn('203.0.113.7', 'victim@example.com', `guess ${i}`)),
      );
      // The attacker's address is throttled for this account, even with the right password...
      expect((await signIn('203.0.113.7', 'victim@example.com', PASSWORD)).status).toBe(429);
      // ...but the real user at home signs in, and so does a colleague in the attacker's office.
      expect((await signIn('198.51.100.20', 'victim@example.com', PASSWORD)).status).toBe(200);
      expect((await signIn('203.0.113.7', 'colleague@example.com', PASSWORD)).status).toBe(200);
    });

    it('slows guessing spread over many addresses progressively, without locking the account', async () => {
      t = await makeTestApp();
      await createUser(t.ctx, { email: 'victim@example.com', role: 'admin', password: PASSWORD });
      const { maxFailures } = t.config.login;
      // Each address stays under its own limit; the account as a whole collects 2×maxFailures failures.
      for (let i = 0; i < maxFailures * 2; i++)
        expect((await signIn(`192.0.2.${i}`, 'victim@example.com', `guess ${i}`)).status).toBe(401);
      const slowed = await signIn('192.0.2.200', 'victim@example.com', 'another guess');
      expect(slowed.status).toBe(429);
      expect(slowed.retryAfter).toBe('1');
      t.clock.advance(1000);
      expect((await signIn('192.0.2.201', 'victim@example.com', 'guess again')).status).toBe(401);
      // The delay doubles with each further failure...
      expect((await signIn('192.0.2.202', 'victim@example.com', PASSWORD)).retryAfter).toBe('2');
      t.clock.advance(2000);
      // ...and once it has passed, the real user gets in.
      expect((await signIn('198.51.100.20', 'victim@example.com', PASSWORD)).status).toBe(200);
    });

    it('caps failures from one address across many accounts (credential stuffing)', async () => {
      // A low LOGIN_MAX_FAILURES keeps the number of (slow) hashes small; the ceiling is 20× it.
      t = await makeTestApp({ env: { LOGIN_MAX_FAILURES: '1' } });
      const ceiling = t.config.login.maxFailures * 20;
      const results = await Promise.all(
        Array.from({ length: ceiling + 10 }, (_, i) =>
          signIn('203.0.113.9', `user${i}@example.com`, 'Password1!'),
        ),
      );
      expect(results.filter((r) => r.status === 401)).toHaveLength(ceiling);
      expect(results.filter((r) => r.status === 429)).toHaveLength(10);
      expect((await signIn('203.0.113.9', 'someone-else@example.com', 'Password1!')).status).toBe(429);
      expect((await signIn('203.0.113.10', 'someone-else@example.com', 'Password1!')).status).toBe(401);
    });
  });
});
