/**
 * Attacks on staff SSO, each through the product's HTTP path against a real OpenID provider on
 * loopback: a refused sign-in lands on /login?sso_error=<reason>, sets no staff cookie, and the browser
 * stays signed out.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp, Browser } from '../../testing/index.ts';
import { PASSWORD } from '../../testing/index.ts';
import { expectError } from '../../testing/expect.ts';
import type { TestProvider } from '../../../tests/helpers/oidc-provider.ts';
import { createUser } from '../../users/index.ts';
import { SSO_LOGIN_MS } from '../../sso/index.ts';
import {
  CLIENT,
  locationOf,
  makeTestApp,
  newBrowser,
  OTHER_CLIENT,
  ssoEnv,
  ssoSignIn,
  startProvider,
  whoAmI,
} from '../../../tests/helpers/sso-fixture.ts';

describe('staff SSO (security)', () => {
  let provider: TestProvider;
  let t: TestApp;
  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(() => provider.close());
  afterEach(async () => {
    provider.tamperIdToken(undefined);
    await t?.close();
  });

  const refused = async (b: Browser, location: string, reason: string) => {
    expect(location).toBe(`/login?sso_error=${reason}`);
    expect(b.cookies.has('ws_staff')).toBe(false);
    expect(await whoAmI(t, b)).toBe(401);
  };
  const rowCount = async (table: 'users' | 'sso_logins') =>
    Number(
      (
        await t.ctx.db
          .selectFrom(table)
          .select((e) => e.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const userCount = () => rowCount('users');

  it('caps the sign-ins one address can start (each stores a pending row); other addresses are not affected', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    const pending = () => rowCount('sso_logins');
    const startFrom = (address: string) =>
      t.app.request(
        '/api/auth/sso/start',
        {},
        {
          incoming: { socket: { remoteAddress: address, remotePort: 40000, remoteFamily: 'IPv4' } },
        },
      );
    for (let i = 0; i < 30; i++)
      expect(locationOf(await startFrom('203.0.113.5'))).toContain(provider.issuer);
    expect(await pending()).toBe(30);
    const refusedStart = await startFrom('203.0.113.5');
    expect(locationOf(refusedStart)).toBe('/login?sso_error=rate_limited');
    expect(Number(refusedStart.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refusedStart.headers.getSetCookie()).toEqual([]);
    expect(await pending()).toBe(30);
    // A colleague on another network signs in as usual.
    const b = newBrowser();
    const r = await ssoSignIn(t, provider, b, 'ada');
    expect(r.location).toBe('/review/att_1');
    expect(await whoAmI(t, b)).toMatchObject({ email: expect.stringContaining('ada') });
    // The window passes: the address may start again.
    t.clock.advance(SSO_LOGIN_MS);
    expect(locationOf(await startFrom('203.0.113.5'))).toContain(provider.issuer);
  });

  it('refuses a callback whose state was changed', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    const b = newBrowser();
    const r = await ssoSignIn(t, provider, b, 'ada', {
      callback: (u) => u.searchParams.set('state', 'forged'),
    });
    await refused(b, r.location, 'state');
    expect(await userCount()).toBe(0);
  });

  it('refuses a callback without state, or in a browser that never started the sign-in (login CSRF)', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    const b = newBrowser();
    const r = await ssoSignIn(t, provider, b, 'ada', { callback: (u) => u.searchParams.delete('state') });
    await refused(b, r.location, 'state');

    // The attacker signs in as themself and sends the victim their callback link.
    const attacker = newBrowser();
    const start = await t.req(attacker, 'GET', '/api/auth/sso/start');
    const callback = await provider.signIn(locationOf(start), 'eve');
    const victim = newBrowser();
    const landed = await t.req(victim, 'GET', callback.pathname + callback.search);
    await refused(victim, locationOf(landed), 'state');
  });

  it('refuses an ID token whose nonce is not the one this sign-in sent', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    const b = newBrowser();
    const r = await ssoSignIn(t, provider, b, 'ada', {
      authorization: (u) => u.searchParams.set('nonce', 'attacker-chosen-nonce'),
    });
    await refused(b, r.location, 'token');

    provider.tamperIdToken((c) => ({ ...c, nonce: 'replayed-nonce' }));
    const again = newBrowser();
    await refused(again, (await ssoSignIn(t, provider, again, 'ada')).location, 'token');
    expect(await userCount()).toBe(0);
  });

  it('refuses an ID token from another issuer, even signed with the provider key', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    provider.tamperIdToken((c) => ({ ...c, iss: 'http://127.0.0.1:1' }));
    const b = newBrowser();
    await refused(b, (await ssoSignIn(t, provider, b, 'ada')).location, 'token');
    expect(await userCount()).toBe(0);
  });

  it('refuses a provider whose discovery document names another issuer (mix-up)', async () => {
    // A server on loopback that hands out the real provider's discovery document as its own.
    const real = await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).text();
    const impostor = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(real);
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    try {
      const issuer = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
      t = await makeTestApp({ env: ssoEnv(provider, { OIDC_ISSUER: issuer }) });
      const b = newBrowser();
      const start = await t.req(b, 'GET', '/api/auth/sso/start');
      expect(start.status).toBe(302);
      expect(locationOf(start)).toBe('/login?sso_error=unavailable');
      expect(b.cookies.has('ws_sso')).toBe(false);
    } finally {
      impostor.closeAllConnections();
      impostor.close();
    }
  });

  it('refuses an ID token issued for another client (wrong audience)', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    provider.tamperIdToken((c) => ({ ...c, aud: OTHER_CLIENT.clientId, azp: OTHER_CLIENT.clientId }));
    const b = newBrowser();
    await refused(b, (await ssoSignIn(t, provider, b, 'ada')).location, 'token');
    expect(await userCount()).toBe(0);
  });

  it('refuses an expired ID token, one signed with a key the provider does not publish, and an HS256 one', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    const now = Math.floor(Date.now() / 1000);
    provider.tamperIdToken((c) => ({ ...c, iat: now - 7200, exp: now - 3600 }));
    const b = newBrowser();
    await refused(b, (await ssoSignIn(t, provider, b, 'ada')).location, 'token');

    provider.tamperIdToken((c) => c, { foreignKey: true });
    const c2 = newBrowser();
    await refused(c2, (await ssoSignIn(t, provider, c2, 'ada')).location, 'token');

    // Algorithm confusion: HS256 with the client secret (anyone holding the secret could mint these).
    provider.tamperIdToken((c) => c, { hmacSecret: CLIENT.clientSecret });
    const c3 = newBrowser();
    await refused(c3, (await ssoSignIn(t, provider, c3, 'ada')).location, 'token');
    expect(await userCount()).toBe(0);

    // Untampered, the same sign-in works: the refusals were about the token.
    provider.tamperIdToken(undefined);
    const ok = newBrowser();
    expect((await ssoSignIn(t, provider, ok, 'ada')).location).toBe('/review/att_1');
  });

  it('refuses a replayed callback and a code redeemed a second time', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    const b = newBrowser();
    const start = await t.req(b, 'GET', '/api/auth/sso/start');
    const kept = b.cookies.get('ws_sso')!;
    const callback = await provider.signIn(locationOf(start), 'eve');
    const first = await t.req(b, 'GET', callback.pathname + callback.search);
    expect(locationOf(first)).toBe('/review');

    // The same callback again, even with the pending sign-in's cookie kept: it was used up.
    const replayer = { cookies: new Map([['ws_sso', kept]]) };
    await refused(
      replayer,
      locationOf(await t.req(replayer, 'GET', callback.pathname + callback.search)),
      'state',
    );

    // The used code with a fresh pending sign-in's state: the provider refuses the code.
    const other = newBrowser();
    const fresh = new URL(locationOf(await t.req(other, 'GET', '/api/auth/sso/start')));
    const forged = new URL(callback);
    forged.searchParams.set('state', fresh.searchParams.get('state')!);
    await refused(other, locationOf(await t.req(other, 'GET', forged.pathname + forged.search)), 'token');
  });

  it('refuses a sign-in that took longer than the pending sign-in lives', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    const b = newBrowser();
    const start = await t.req(b, 'GET', '/api/auth/sso/start');
    const callback = await provider.signIn(locationOf(start), 'eve');
    t.clock.advance(SSO_LOGIN_MS + 1);
    await refused(b, locationOf(await t.req(b, 'GET', callback.pathname + callback.search)), 'expired');
  });

  it('refuses an email domain that is not allowed, and creates no account', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    const b = newBrowser();
    await refused(b, (await ssoSignIn(t, provider, b, 'out')).location, 'domain');
    expect(await userCount()).toBe(0);
  });

  it('refuses an email the provider has not verified, even for an existing account with that email', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    const b = newBrowser();
    await refused(b, (await ssoSignIn(t, provider, b, 'unv')).location, 'unverified');
    expect(await userCount()).toBe(0);
    await createUser(t.ctx, { email: 'unv@example.com', role: 'admin', password: PASSWORD });
    const c = newBrowser();
    await refused(c, (await ssoSignIn(t, provider, c, 'unv')).location, 'unverified');
    const row = await t.ctx.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    expect(row.oidc_subject).toBeNull();
  });

  it('refuses deactivated accounts, linked or about to be linked', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    await createUser(t.ctx, { email: 'eve@example.com', role: 'reviewer', password: PASSWORD });
    await t.ctx.db.updateTable('users').set({ disabled: 1 }).execute();
    const b = newBrowser();
    await refused(b, (await ssoSignIn(t, provider, b, 'eve')).location, 'disabled');

    const ada = newBrowser();
    await ssoSignIn(t, provider, ada, 'ada');
    expect(await whoAmI(t, ada)).toMatchObject({ role: 'admin' });
    await t.ctx.db.updateTable('users').set({ disabled: 1 }).where('email', '=', 'ada@example.com').execute();
    expect(await whoAmI(t, ada)).toBe(401); // the live session ends too
    const again = newBrowser();
    await refused(again, (await ssoSignIn(t, provider, again, 'ada')).location, 'disabled');
  });

  it('never moves a second identity with the same email onto an account linked to the first', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    const b = newBrowser();
    await ssoSignIn(t, provider, b, 'ada');
    const twin = newBrowser();
    await refused(twin, (await ssoSignIn(t, provider, twin, 'ada-twin')).location, 'linked');
    expect(await userCount()).toBe(1);
  });

  it('takes a role away when the provider removes the group, and refuses people with no role when the default is none', async () => {
    t = await makeTestApp({ env: ssoEnv(provider, { OIDC_DEFAULT_ROLE: 'none' }) });
    const b = newBrowser();
    await ssoSignIn(t, provider, b, 'ada');
    expect(await whoAmI(t, b)).toMatchObject({ role: 'admin' });
    const ada = provider.accounts.get('ada')!;
    const groups = ada.groups;
    ada.groups = ['eng'];
    try {
      const again = newBrowser();
      await ssoSignIn(t, provider, again, 'ada');
      expect(await whoAmI(t, again)).toMatchObject({ role: 'reviewer' });
    } finally {
      ada.groups = groups;
    }
    const nog = newBrowser();
    await refused(nog, (await ssoSignIn(t, provider, nog, 'nog')).location, 'no_role');
  });

  it('lands only on paths of this site after sign-in (no open redirect)', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    for (const next of [
      '//evil.example/x',
      'https://evil.example/',
      '/\\evil.example',
      'javascript:alert(1)',
    ]) {
      const b = newBrowser();
      const start = await t.req(b, 'GET', `/api/auth/sso/start?next=${encodeURIComponent(next)}`);
      const callback = await provider.signIn(locationOf(start), 'eve');
      expect(locationOf(await t.req(b, 'GET', callback.pathname + callback.search))).toBe('/review');
    }
  });

  it('refuses a provider error answer, and binds the pending sign-in with an HttpOnly SameSite=Lax cookie on the SSO path', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    const b = newBrowser();
    const start = await t.req(b, 'GET', '/api/auth/sso/start');
    const cookie = start.headers.getSetCookie().find((c) => c.startsWith('ws_sso='))!;
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).toMatch(/; Path=\/api\/auth\/sso\//);
    const state = new URL(locationOf(start)).searchParams.get('state')!;
    const r = await t.req(b, 'GET', `/api/auth/sso/callback?error=access_denied&state=${state}`);
    await refused(b, locationOf(r), 'denied');
  });

  it('LOCAL_PASSWORDS=off refuses password sign-in except for the break-glass accounts', async () => {
    t = await makeTestApp({
      env: ssoEnv(provider, { LOCAL_PASSWORDS: 'off', LOCAL_PASSWORD_BREAK_GLASS: 'root@example.com' }),
    });
    await createUser(t.ctx, { email: 'eve@example.com', role: 'admin', password: PASSWORD });
    await createUser(t.ctx, { email: 'root@example.com', role: 'admin', password: PASSWORD });
    const b = newBrowser();
    const r = await t.req(b, 'POST', '/api/auth/login', { email: 'eve@example.com', password: PASSWORD });
    expectError(r, 403, 'forbidden');
    expect(r.json.error.message).toMatch(/Sign in with SSO/);
    expect(b.cookies.has('ws_staff')).toBe(false);
    const glass = await t.req(newBrowser(), 'POST', '/api/auth/login', {
      email: ' Root@Example.com ',
      password: PASSWORD,
    });
    expect(glass.status).toBe(200);
    // SSO still signs the same person in.
    const sso = newBrowser();
    await ssoSignIn(t, provider, sso, 'eve');
    expect(await whoAmI(t, sso)).toMatchObject({ email: 'eve@example.com', role: 'reviewer' });
  });

  it('an account created by SSO has no password that works', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    await ssoSignIn(t, provider, newBrowser(), 'eve');
    for (const password of ['!sso', '', 'correct horse battery staple']) {
      const r = await t.req(newBrowser(), 'POST', '/api/auth/login', { email: 'eve@example.com', password });
      expect(r.status === 401 || r.status === 400, `${password}: ${r.status}`).toBe(true);
    }
  });
});
