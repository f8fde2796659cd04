import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/index.ts';
import type { TestProvider } from '../../../tests/helpers/oidc-provider.ts';
import { dialects, PASSWORD } from '../../testing/index.ts';
import { createUser } from '../../users/index.ts';
import {
  makeTestApp,
  newBrowser,
  ssoEnv,
  ssoSignIn,
  startProvider,
  whoAmI,
} from '../../../tests/helpers/sso-fixture.ts';

describe('staff SSO (happy path)', () => {
  let provider: TestProvider;
  let t: TestApp;
  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(() => provider.close());
  afterEach(() => t?.close());

  it.each(dialects())(
    'signs a new person in just in time with the role their groups map to, landing on the page asked for (%s)',
    async (dialect) => {
      t = await makeTestApp({ dialect, env: ssoEnv(provider) });
      const b = newBrowser();
      const { authorization, location } = await ssoSignIn(t, provider, b, 'ada');
      // Authorization code flow with PKCE S256, state and nonce.
      expect(authorization.searchParams.get('response_type')).toBe('code');
      expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorization.searchParams.get('state')).toBeTruthy();
      expect(authorization.searchParams.get('nonce')).toBeTruthy();
      expect(location).toBe('/review/att_1');
      expect(await whoAmI(t, b)).toMatchObject({
        email: 'ada@example.com',
        name: 'Ada Admin',
        role: 'admin',
      });
      const row = await t.ctx.db
        .selectFrom('users')
        .selectAll()
        .where('email', '=', 'ada@example.com')
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ oidc_issuer: provider.issuer, oidc_subject: 'ada' });
    },
  );

  it('maps groups to the highest role, and falls back to OIDC_DEFAULT_ROLE', async () => {
    t = await makeTestApp({ env: ssoEnv(provider, { OIDC_DEFAULT_ROLE: 'author' }) });
    const eve = newBrowser();
    await ssoSignIn(t, provider, eve, 'eve');
    expect(await whoAmI(t, eve)).toMatchObject({ role: 'reviewer' });
    const nog = newBrowser();
    await ssoSignIn(t, provider, nog, 'nog');
    expect(await whoAmI(t, nog)).toMatchObject({ role: 'author' });
  });

  it('without a role map, new people get the default role (reviewer) and roles set by admins stay', async () => {
    t = await makeTestApp({ env: ssoEnv(provider, { OIDC_ROLE_MAP: '' }) });
    const b = newBrowser();
    await ssoSignIn(t, provider, b, 'ada');
    expect(await whoAmI(t, b)).toMatchObject({ role: 'reviewer' });
    await t.ctx.db
      .updateTable('users')
      .set({ role: 'author' })
      .where('email', '=', 'ada@example.com')
      .execute();
    const again = newBrowser();
    await ssoSignIn(t, provider, again, 'ada');
    expect(await whoAmI(t, again)).toMatchObject({ role: 'author' });
  });

  it('links an existing local account by its verified email on the first SSO sign-in (same account, role from groups)', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    const local = await createUser(t.ctx, { email: 'Eve@Example.com', role: 'author', password: PASSWORD });
    const b = newBrowser();
    await ssoSignIn(t, provider, b, 'eve');
    expect(await whoAmI(t, b)).toMatchObject({ id: local.id, role: 'reviewer' });
    // The local password still works while LOCAL_PASSWORDS=on.
    const pw = await t.req(newBrowser(), 'POST', '/api/auth/login', {
      email: 'eve@example.com',
      password: PASSWORD,
    });
    expect(pw.status).toBe(200);
  });

  it('two sign-ins started in two tabs of one browser both complete', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    const b = newBrowser();
    const first = await t.req(b, 'GET', '/api/auth/sso/start?next=%2Fadmin');
    const second = await t.req(b, 'GET', '/api/auth/sso/start?next=%2Freview');
    expect(first.headers.get('location')).not.toBe(second.headers.get('location'));
    for (const [start, landing] of [
      [second, '/review'],
      [first, '/admin'],
    ] as const) {
      const callback = await provider.signIn(start.headers.get('location')!, 'eve');
      const done = await t.req(b, 'GET', callback.pathname + callback.search);
      expect(done.headers.get('location')).toBe(landing);
    }
    expect(await whoAmI(t, b)).toMatchObject({ email: 'eve@example.com' });
  });

  it('sign-out ends the SSO session', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    const b = newBrowser();
    await ssoSignIn(t, provider, b, 'eve');
    const me = await t.req(b, 'GET', '/api/auth/me');
    b.csrf = me.json.csrfToken;
    const cookie = b.cookies.get('ws_staff')!;
    expect((await t.req(b, 'POST', '/api/auth/logout')).status).toBe(204);
    expect(await whoAmI(t, { cookies: new Map([['ws_staff', cookie]]) })).toBe(401);
  });

  it('tells the sign-in page what to offer', async () => {
    t = await makeTestApp({ env: ssoEnv(provider) });
    const on = await t.req(undefined, 'GET', '/api/auth/options');
    expect(on.json).toEqual({ sso: true, localPasswords: true, breakGlass: false });
    await t.close();
    t = await makeTestApp({
      env: ssoEnv(provider, { LOCAL_PASSWORDS: 'off', LOCAL_PASSWORD_BREAK_GLASS: 'root@example.com' }),
    });
    expect((await t.req(undefined, 'GET', '/api/auth/options')).json).toEqual({
      sso: true,
      localPasswords: false,
      breakGlass: true,
    });
    await t.close();
    t = await makeTestApp();
    expect((await t.req(undefined, 'GET', '/api/auth/options')).json).toEqual({
      sso: false,
      localPasswords: true,
      breakGlass: false,
    });
    expect((await t.req(undefined, 'GET', '/api/auth/sso/start')).status).toBe(404);
  });
});
