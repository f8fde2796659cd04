/**
 * Staff single sign-on in Chromium against a real OpenID provider on loopback (oidc-provider, with its
 * own sign-in page): the sign-in page offers only SSO when LOCAL_PASSWORDS=off, a person signs in at the
 * provider and lands signed in with the role their groups map to, sign-out ends it, and a refused
 * sign-in comes back to the sign-in page with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { freePort } from '../helpers/process.ts';
import { PROVIDER_PASSWORD, startTestProvider, type TestProvider } from '../helpers/oidc-provider.ts';
import { hasChromium, openBrowser, shot, STAFF_PASSWORD, startEnv, type Env } from './harness.ts';

const CLIENT = { clientId: 'worksample-e2e', clientSecret: 'e2e-client-secret' };

describe.runIf(hasChromium())('staff SSO in the browser', () => {
  let provider: TestProvider;
  let env: Env;
  beforeAll(async () => {
    const port = await freePort();
    provider = await startTestProvider({
      accounts: [
        { id: 'ada', email: 'ada@example.com', name: 'Ada Admin', groups: ['hiring-admins'] },
        { id: 'eve', email: 'eve@example.com', name: 'Eve Engineer', groups: ['eng'] },
        { id: 'out', email: 'out@elsewhere.test', name: 'Outsider', groups: ['hiring-admins'] },
      ],
      clients: [{ ...CLIENT, redirectUris: [`http://127.0.0.1:${port}/api/auth/sso/callback`] }],
    });
    env = await startEnv([], {
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: CLIENT.clientId,
      OIDC_CLIENT_SECRET: CLIENT.clientSecret,
      OIDC_ALLOWED_DOMAINS: 'example.com',
      OIDC_ROLE_MAP: 'hiring-admins=admin,eng=reviewer',
      OIDC_SCOPES: 'openid email profile groups',
      LOCAL_PASSWORDS: 'off',
      LOCAL_PASSWORD_BREAK_GLASS: 'root@example.com',
    });
  });
  afterAll(async () => {
    await env?.close();
    await provider?.close();
  });

  /** From /review (signed out) through the provider's sign-in page as `login`. */
  async function signInWithSso(page: Page, login: string) {
    await page.goto('/review');
    await page.waitForURL(/\/login\?next=%2Freview$/);
    await page.getByTestId('sso-start').click();
    await page.waitForURL((u) => u.origin === provider.issuer);
    await page.getByLabel('Username').fill(login);
    await page.getByLabel('Password').fill(PROVIDER_PASSWORD);
    await page.getByRole('button', { name: 'Sign in at provider' }).click();
  }

  it('signs an admin in at the provider, applies the mapped role, and signs out', async () => {
    const b = await openBrowser(env.server.url);
    try {
      const { page } = b;
      await page.goto('/login');
      await page.getByTestId('sso-start').waitFor();
      // Local passwords are off: no password form, only the break-glass one behind "Emergency sign-in".
      expect(await page.getByTestId('login-form').isVisible()).toBe(false);
      await page.getByText('Emergency sign-in (break-glass accounts only)').waitFor();
      await shot(page, 'sso-login');

      await signInWithSso(page, 'ada');
      await page.getByTestId('signed-in').waitFor();
      expect(new URL(page.url()).pathname).toBe('/review');
      expect(await page.getByTestId('signed-in').innerText()).toBe('Ada Admin · admin');
      // The admin role shows: the Tasks and Invitations pages are offered.
      await page.getByRole('link', { name: 'Tasks' }).waitFor();
      await shot(page, 'sso-signed-in');

      await page.getByTestId('sign-out').click();
      await page.getByTestId('sso-start').waitFor();
      expect((await page.request.get('/api/auth/me')).status()).toBe(401);
      await page.goto('/review');
      await page.waitForURL(/\/login\?next=%2Freview$/);
    } finally {
      await b.close();
    }
  });

  it('gives a person in the eng group the reviewer role only', async () => {
    const b = await openBrowser(env.server.url);
    try {
      await signInWithSso(b.page, 'eve');
      await b.page.getByTestId('signed-in').waitFor();
      expect(await b.page.getByTestId('signed-in').innerText()).toBe('Eve Engineer · reviewer');
      expect(await b.page.getByRole('link', { name: 'Tasks' }).count()).toBe(0);
    } finally {
      await b.close();
    }
  });

  it('keeps password sign-in for the break-glass account only, behind "Emergency sign-in"', async () => {
    await env.addUser('admin', 'root@example.com', 'Root Operator');
    await env.addUser('admin', 'local@example.com', 'Local Admin');
    const b = await openBrowser(env.server.url);
    try {
      const { page } = b;
      await page.goto('/login');
      await page.getByText('Emergency sign-in (break-glass accounts only)').click();
      await page.getByLabel('Email').fill('local@example.com');
      await page.getByLabel('Password').fill(STAFF_PASSWORD);
      await page.getByTestId('login-submit').click();
      expect(await page.getByTestId('login-error').innerText()).toMatch(/password sign-in is turned off/);
      await page.getByLabel('Email').fill('root@example.com');
      await page.getByTestId('login-submit').click();
      await page.getByTestId('signed-in').waitFor();
      expect(await page.getByTestId('signed-in').innerText()).toBe('Root Operator · admin');
    } finally {
      await b.close();
    }
  });

  it('sends a person from a domain that is not allowed back to the sign-in page with the reason', async () => {
    const b = await openBrowser(env.server.url);
    try {
      await signInWithSso(b.page, 'out');
      await b.page.getByTestId('sso-error').waitFor();
      expect(await b.page.getByTestId('sso-error').innerText()).toMatch(/email domain is not allowed/);
      expect((await b.page.request.get('/api/auth/me')).status()).toBe(401);
    } finally {
      await b.close();
    }
  });
});
