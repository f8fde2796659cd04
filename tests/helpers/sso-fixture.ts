/**
 * SSO tests' setup: the test OpenID provider on loopback (tests/helpers/oidc-provider.ts) with a
 * few accounts and two clients (ours and another app's), an app configured for it, and a browser that
 * goes start → provider sign-in → callback through `app.request()`.
 */
import { makeTestApp, type Browser, type TestApp } from '../../server/testing/index.ts';
import { startTestProvider, type TestAccount, type TestProvider } from './oidc-provider.ts';

export const CLIENT = { clientId: 'worksample', clientSecret: 'worksample-test-secret' };
export const OTHER_CLIENT = { clientId: 'other-app', clientSecret: 'other-app-secret' };
/** testConfig's PUBLIC_URL + the callback path. */
export const REDIRECT_URI = 'http://localhost:8080/api/auth/sso/callback';

export const ACCOUNTS: TestAccount[] = [
  { id: 'ada', email: 'ada@example.com', name: 'Ada Admin', groups: ['hiring-admins', 'eng'] },
  { id: 'eve', email: 'eve@example.com', name: 'Eve Engineer', groups: ['eng'] },
  { id: 'nog', email: 'nog@example.com', name: 'No Groups' },
  { id: 'out', email: 'out@elsewhere.test', name: 'Outsider', groups: ['hiring-admins'] },
  { id: 'unv', email: 'unv@example.com', emailVerified: false, groups: ['hiring-admins'] },
  { id: 'ada-twin', email: 'ada@example.com', name: 'Same email, other identity', groups: ['eng'] },
];

export async function startProvider(): Promise<TestProvider> {
  return startTestProvider({
    accounts: ACCOUNTS.map((a) => ({ ...a })),
    clients: [
      { ...CLIENT, redirectUris: [REDIRECT_URI] },
      { ...OTHER_CLIENT, redirectUris: ['http://127.0.0.1:9/cb'] },
    ],
  });
}

export function ssoEnv(provider: TestProvider, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: CLIENT.clientId,
    OIDC_CLIENT_SECRET: CLIENT.clientSecret,
    OIDC_ALLOWED_DOMAINS: 'example.com',
    OIDC_ROLE_MAP: 'hiring-admins=admin,eng=reviewer',
    OIDC_SCOPES: 'openid email profile groups',
    ...extra,
  };
}

export const newBrowser = (): Browser => ({ cookies: new Map() });

/** Where a redirect response points (path + query for our own pages). */
export const locationOf = (r: { headers: Headers }) => r.headers.get('location') ?? '';

/**
 * Start → sign in at the provider as `login` → the callback. `alter` may change the authorization URL
 * (before the provider sees it) or the callback URL (before the app sees it).
 */
export async function ssoSignIn(
  t: TestApp,
  provider: TestProvider,
  browser: Browser,
  login: string,
  alter: { authorization?(u: URL): void; callback?(u: URL): void } = {},
) {
  const start = await t.req(browser, 'GET', '/api/auth/sso/start?next=%2Freview%2Fatt_1');
  if (start.status !== 302) throw new Error(`start answered ${start.status}: ${start.text}`);
  const authorization = new URL(locationOf(start));
  alter.authorization?.(authorization);
  const callback = await provider.signIn(authorization.href, login);
  alter.callback?.(callback);
  const finish = await t.req(browser, 'GET', callback.pathname + callback.search);
  return { authorization, callback, finish, location: locationOf(finish) };
}

/** The user the browser is signed in as, or the status of /api/auth/me. */
export async function whoAmI(t: TestApp, browser: Browser) {
  const r = await t.req(browser, 'GET', '/api/auth/me');
  return r.status === 200
    ? (r.json.user as { id: string; email: string; role: string; name: string })
    : r.status;
}

export { makeTestApp };
